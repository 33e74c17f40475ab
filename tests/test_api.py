"""The JSON API and its description over HTTP against a real uvicorn server, on both databases,
with a case the real pipeline opened: what each person's answers hold, the queue and lists with
their parameters, hostile names and answers kept as exact data and never shown as markup (the
pages and /docs), the headers every answer carries, and the schema /docs is drawn from.
Who gets which status from each endpoint is tests/test_authorization.py's matrix."""

from __future__ import annotations

import re

import pytest
from api_world import SCRIPT, SCRIPTED_ANSWERS, opened_world
from casework import HOSTILE_NAME
from markupsafe import escape
from sqlalchemy import select

from store import AuditEntry


@pytest.fixture
def world(services, senco):
    with opened_world(services, senco) as opened:
        yield opened


def answers_of(case: dict) -> dict[str, str]:
    return {
        a["name"]: a["value"]
        for s in case["submissions"]
        for step in s["steps"]
        for a in step["answers"]
    }


def test_names_and_answers_are_exact_data_and_never_markup(world) -> None:
    caseworker = world.visitors["caseworker"]
    case = caseworker.get(f"/api/cases/{world.reference}").json()
    assert case["view"] == "caseworker" and case["child"]["forename"] == "Gruffydd"
    files = [f["filename"] for s in case["submissions"] for f in s["attachments"]]
    assert HOSTILE_NAME in files
    answers = answers_of(case)
    for name, value in SCRIPTED_ANSWERS.items():
        assert answers[name] == value
    message = caseworker.get(f"/api/messages/{world.inbound_id}").json()
    assert HOSTILE_NAME in [a["filename"] for a in message["attachments"]]

    for path in (f"/cases/{world.reference}", f"/messages/{world.inbound_id}", "/docs"):
        page = caseworker.get(path)
        assert page.headers["content-type"].startswith("text/html")
        assert SCRIPT not in page.text and "<script>alert" not in page.text, path
        assert "<img src=x" not in page.text and "<b>bold</b>" not in page.text, path
    case_page = caseworker.get(f"/cases/{world.reference}").text
    # Shown as the text it is, escaped as Jinja2 escapes it.
    assert str(escape(SCRIPT)) in case_page and str(escape(HOSTILE_NAME)) in case_page


def test_every_api_answer_is_json_never_cached_nor_sniffed(world) -> None:
    caseworker, other = world.visitors["caseworker"], world.visitors["other"]
    answers = [
        caseworker.get(f"/api/cases/{world.reference}"),
        caseworker.get("/api/queue"),
        caseworker.get("/api/queue?status=bogus"),  # 422
        caseworker.get("/api/no-such-endpoint"),  # 404
        other.get(f"/api/cases/{world.reference}"),  # 404
        other.get("/api/queue"),  # 403
        world.visitors["anonymous"].get("/api/cases"),  # 401
        other.get("/openapi.json"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 422, 404, 404, 403, 401, 200]
    for answer in answers:
        assert answer.headers["content-type"] == "application/json", answer.url
        assert answer.headers["cache-control"] == "no-store", answer.url
        assert answer.headers["x-content-type-options"] == "nosniff", answer.url
    assert answers[3].json() == answers[4].json() == {"error": "not-found", "status": 404}
    assert answers[5].json() == {"error": "caseworkers-only", "status": 403}
    assert answers[2].json()["detail"][0]["loc"] == ["query", "status"]


def test_a_case_not_theirs_is_not_found_like_one_that_does_not_exist(world) -> None:
    requester = world.visitors["requester"]
    theirs = requester.get(f"/api/advice-requests/{world.advice}")  # asked of the adviser
    missing = requester.get("/api/advice-requests/ADV-2099-999999")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
    other = world.visitors["other"]
    assert (
        other.get(f"/api/cases/{world.reference}").content
        == other.get("/api/cases/EHC-2099-999999").content
    )


def test_professionals_see_their_own_part_as_their_pages_do(world) -> None:
    requester, adviser = world.visitors["requester"], world.visitors["adviser"]
    listed = requester.get("/api/cases").json()
    assert [(c["reference"], c["requested"]) for c in listed["cases"]] == [(world.reference, True)]
    assert "requested_by" not in listed["cases"][0] or listed["cases"][0]["requested_by"] is None
    advised = adviser.get("/api/cases").json()["cases"]
    assert [(c["requested"], c["advice_types"]) for c in advised] == [
        (False, ["Psychological 6(1)(d)"])
    ]
    assert world.visitors["other"].get("/api/cases").json() == {
        "cases": [], "page": 1, "pages": 1, "total": 0,
    }  # fmt: skip

    mine = requester.get(f"/api/cases/{world.reference}")
    assert mine.json()["view"] == "professional" and mine.json()["requested"] is True
    assert [s["kind"] for s in mine.json()["submissions"]] == ["request"]
    # The progress page shows no answers and no files: nor does the API, to either of them.
    seen_by_adviser = adviser.get(f"/api/cases/{world.reference}")
    for answer in (mine, seen_by_adviser):
        assert SCRIPT not in answer.text and HOSTILE_NAME not in answer.text
        assert "steps" not in answer.text and "audit" not in answer.json()
    assert seen_by_adviser.json()["submissions"] == []
    assert [a["reference"] for a in seen_by_adviser.json()["advice"]] == [world.advice]
    assert seen_by_adviser.json()["advice"][0]["rag"] == "green"

    asked = adviser.get("/api/advice-requests").json()["advice_requests"]
    assert [(a["reference"], a["case_reference"]) for a in asked] == [
        (world.advice, world.reference)
    ]
    assert requester.get("/api/advice-requests").json()["advice_requests"] == []


def test_the_queue_and_lists_take_their_parameters(world) -> None:
    caseworker = world.visitors["caseworker"]
    new = caseworker.get("/api/queue?status=new-requests").json()
    assert new["name"] == "new-requests" and new["page"] == 1
    assert [r["id"] for r in new["rows"]] == [world.reference]
    counts = {c["name"]: c["count"] for c in new["lists"]}
    assert counts["new-requests"] == 1 and counts["needs-a-person"] == 0
    assert caseworker.get("/api/queue").json()["name"] == "needs-a-person"
    assert (
        caseworker.get(f"/api/queue?status=new-requests&q={world.reference}").json()["rows"][0][
            "from"
        ]
        == world.emails["requester"]
    )

    def references(query: str) -> list[str]:
        return [c["reference"] for c in caseworker.get("/api/cases" + query).json()["cases"]]

    assert references("") == [world.reference]
    assert references("?stage=REQUEST_RECEIVED") == [world.reference]
    assert references("?stage=FINAL_ISSUED") == []
    assert references("?q=glanwy") == [world.reference]
    assert references("?q=EHC-2099-999999") == []
    assert caseworker.get("/api/cases?page=99").json()["page"] == 1  # past the end: the last
    for bad in ("/api/cases?page=0", "/api/cases?page=x", "/api/cases?stage=nonsense"):
        assert caseworker.get(bad).status_code == 422, bad

    open_advice = caseworker.get("/api/advice-requests").json()
    assert open_advice["total"] == 1
    assert open_advice["advice_requests"][0]["professional"] == world.emails["adviser"]
    one = caseworker.get(f"/api/advice-requests/{world.advice.lower()}").json()
    assert one["reference"] == world.advice and one["status"] == "open"


def test_case_views_through_the_api_are_audited(world) -> None:
    world.visitors["caseworker"].get(f"/api/cases/{world.reference}")
    world.visitors["adviser"].get(f"/api/cases/{world.reference}")
    with world.services.db.session() as session:
        views = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "case-viewed", AuditEntry.subject_id == world.reference
            )
        ).all()
        assert (world.emails["caseworker"], {"via": "api"}) in [(v.actor, v.detail) for v in views]
        assert world.emails["adviser"] in [v.actor for v in views]


def test_the_schema_describes_the_api_alone_and_every_field(world) -> None:
    schema = world.visitors["other"].get("/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/queue",
        "/api/messages/{inbound_id}",
        "/api/cases",
        "/api/cases/{reference}",
        "/api/advice-requests",
        "/api/advice-requests/{reference}",
    }
    for path, operations in schema["paths"].items():
        operation = operations["get"]
        assert operation["x-who"] in ("caseworkers", "signed-in"), path
        assert {"200", "401", "403", "404"} <= set(operation["responses"]), path
    for name, model in schema["components"]["schemas"].items():
        for field, described in model.get("properties", {}).items():
            assert described, f"{name}.{field} has no type"
    case = schema["paths"]["/api/cases/{reference}"]["get"]["responses"]["200"]
    alternatives = case["content"]["application/json"]["schema"]["anyOf"]
    assert {a["$ref"].rsplit("/", 1)[-1] for a in alternatives} == {
        "CaseForCaseworker",
        "CaseForProfessional",
    }


def test_the_docs_page_lists_endpoints_parameters_who_and_fields_from_the_schema(world) -> None:
    docs = world.visitors["requester"].get("/docs")
    assert docs.status_code == 200 and docs.headers["cache-control"] == "no-store"
    page = docs.text
    for wanted in (
        "GET /api/queue",
        "GET /api/cases/{reference}",
        "Caseworkers only",
        "Anyone signed in",
        "<code>status</code>",  # a parameter
        "one of needs-a-person",  # its choices
        "<code>submissions[].steps[].answers[].value</code>",  # a nested field
        "<code>child.date_of_birth</code>",
        "CaseForProfessional",
    ):
        assert wanted in page, wanted
    # Nothing is fetched from elsewhere; the one script is every page's own.
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/portal.js">']
    assert world.visitors["anonymous"].get("/docs").headers["location"] == "/sign-in"
