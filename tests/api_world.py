"""A small world for the API and authorisation tests: a case the real pipeline opened from a
SENCO's emailed request (with a file named like an attack and answers holding a script), advice
asked of an educational psychologist, another professional who is part of no case, a caseworker,
and a browser for each of them (and for someone not signed in) against a real uvicorn server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from casework import CASEWORKER, HOSTILE_NAME, caseworker_account, opened_case
from sqlalchemy import select
from web_client import PASSWORD, Visitor, active_account, served, sign_in

from intake.accounts.passwords import hash_password
from intake.cases.advice_requests import request_advice
from store import Attachment, Case, InboundMessage, Professional, Submission

ADVISER = "ffion.ep@eps.example.gov.uk"
OTHER = "other.senco@ysgol.sch.uk"
SCRIPT = '<script>alert("views")</script>'
SCRIPTED_ANSWERS = {
    "child_views": f"{SCRIPT} He likes working with one adult he knows.",
    "diagnoses": "<b>bold</b> & <i>Dyslexia</i> indicated, March 2024.",
}
# What no one but the case's people may see: the child's name and date of birth.
CHILD_DATA = ("Gruffydd", "Nowak-Pryce", "2016-05-14", "14 May 2016")
ACTORS = ("anonymous", "other", "owner", "caseworker")


@dataclass
class World:
    site: str
    services: object
    reference: str
    advice: str
    submission: int
    attachment: int  # the file named HOSTILE_NAME
    inbound_id: int  # the message that opened the case
    requester_id: int
    emails: dict[str, str] = field(default_factory=dict)  # who -> address
    visitors: dict[str, Visitor] = field(default_factory=dict)

    def close(self) -> None:
        for visitor in self.visitors.values():
            visitor.close()


def sign_in_again(world: World, who: str) -> None:
    sign_in(world.visitors[who], world.services, world.emails[who])


@contextmanager
def opened_world(services, senco) -> Iterator[World]:
    """The world above, served; browsers `anonymous`, `other`, `requester`, `adviser` and
    `caseworker`, each signed in (but the first)."""
    with services.db.session() as session:
        row = session.get(Professional, senco.id)
        row.password_hash, row.two_factor = hash_password(PASSWORD), "email"
    reference = opened_case(services, senco, **SCRIPTED_ANSWERS)
    adviser = active_account(services, ADVISER)
    active_account(services, OTHER)
    caseworker_account(services)
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        advice = request_advice(
            services, session, case, session.get(Professional, adviser.id), "psychological",
            today=services.today(), actor=CASEWORKER,
        ).reference  # fmt: skip
        submission = session.scalar(select(Submission).where(Submission.case_id == case.id))
        attachment = session.scalar(
            select(Attachment.id).where(
                Attachment.submission_id == submission.id, Attachment.filename == HOSTILE_NAME
            )
        )
        inbound_id = session.scalar(
            select(InboundMessage.id).where(InboundMessage.case_id == case.id)
        )
        submission_id = submission.id
    with served(services) as site:
        world = World(
            site, services, reference, advice, submission_id, attachment, inbound_id, senco.id
        )
        world.emails = {
            "other": OTHER, "requester": senco.email, "adviser": ADVISER, "caseworker": CASEWORKER,
        }  # fmt: skip
        world.visitors["anonymous"] = Visitor(site)
        for who, email in world.emails.items():
            world.visitors[who] = Visitor(site)
            sign_in(world.visitors[who], services, email)
        try:
            yield world
        finally:
            world.close()
