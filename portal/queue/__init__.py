"""The caseworkers' intake pages: the queue, one message with its actions, and the registrations
waiting. Only caseworker accounts may use them (portal.queue.access); anyone else signed in is
told there is no such page, and anyone signed out is sent to sign in. A POST takes its form
before its caseworker, so a form without this session's CSRF token is refused (403) before
anything else is asked, as every form of the portal is.

`ROUTES` are (method, path, endpoint) rows of the app's table of routes, which portal/app.py
adds where it lists its own, each for caseworkers only (`portal.casework.caseworkers.Caseworker`).
"""

from portal.queue import message_page, queue_page, registrations_page

ROUTES = (
    ("GET", "/queue", queue_page.show_queue),
    ("GET", "/messages/{inbound_id}", message_page.show_message),
    ("GET", "/messages/{inbound_id}/raw", message_page.download_raw),
    ("POST", "/messages/{inbound_id}/release", message_page.release),
    ("POST", "/messages/{inbound_id}/process-again", message_page.process_again),
    ("POST", "/messages/{inbound_id}/reject", message_page.reject),
    ("GET", "/registrations", registrations_page.show_registrations),
    ("POST", "/registrations/{professional_id}/approve", registrations_page.approve),
    ("POST", "/registrations/{professional_id}/decline", registrations_page.decline),
)
