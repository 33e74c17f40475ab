"""The caseworkers' intake pages: the queue, one message with its actions, and the registrations
waiting. Only caseworker accounts may use them (portal.queue.access); anyone else signed in is
told there is no such page, and anyone signed out is sent to sign in. A POST takes its form
before its caseworker, so a form without this session's CSRF token is refused (403) before
anything else is asked, as every form of the portal is.

`ROUTES` are rows of the app's table of routes (portal/app.py adds them where it lists its own).
"""

from portal.queue import message_page, queue_page, registrations_page
from portal.queue.access import CASEWORKER

ROUTES = (
    ("GET", "/queue", queue_page.show_queue, CASEWORKER),
    ("GET", "/messages/{inbound_id}", message_page.show_message, CASEWORKER),
    ("GET", "/messages/{inbound_id}/raw", message_page.download_raw, CASEWORKER),
    ("POST", "/messages/{inbound_id}/release", message_page.release, CASEWORKER),
    ("POST", "/messages/{inbound_id}/process-again", message_page.process_again, CASEWORKER),
    ("POST", "/messages/{inbound_id}/reject", message_page.reject, CASEWORKER),
    ("GET", "/registrations", registrations_page.show_registrations, CASEWORKER),
    ("POST", "/registrations/{professional_id}/approve", registrations_page.approve, CASEWORKER),
    ("POST", "/registrations/{professional_id}/decline", registrations_page.decline, CASEWORKER),
)
