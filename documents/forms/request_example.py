"""A complete, valid set of answers to the request form, in canonical values.

`intake forms example request` prints it, the demo fills PDFs with it and tests start from it.
It holds accented and Welsh letters, line breaks and one long-text answer of exactly 4,000
characters, so every path through rendering and reading meets them. Dates are in 2025 so the
answers stay valid whatever day in 2026 or 2027 they are checked on.
"""

from __future__ import annotations

from documents.forms.common import text_of_length

_CYCLES = (
    (
        "Cycle 1 (spring 2023)",
        "Precision teaching of high-frequency words, 3 x 10 minutes a week with a teaching "
        "assistant, and a phonics catch-up group (Letters and Sounds phase 3) four mornings a "
        "week. Gruffydd learnt 18 of 40 target words; phonics assessment moved from 12/40 to "
        "17/40. He found the group setting hard and often lost his place.",
    ),
    (
        "Cycle 2 (summer 2023)",
        "One-to-one phonics at phase 3 and 4 daily for 15 minutes, coloured overlay trialled, "
        "word mat and visual timetable on his desk. Phonics moved to 22/40; reading age rose "
        "from 5y2m to 5y7m against a chronological age of 7y1m. Spelling remained at the "
        "level of single consonant-vowel-consonant words.",
    ),
    (
        "Cycle 3 (autumn 2023 to spring 2024)",
        "Specialist teacher assessment (Learning Support Service) advised a structured, "
        "cumulative, multi-sensory literacy programme. Delivered 4 x 20 minutes a week by a "
        "trained assistant, plus a speech and language therapy programme for vocabulary "
        "(2 x 15 minutes a week). Reading age rose to 6y0m at 7y9m; he can now blend "
        "consonant clusters but not yet read split digraphs. Working memory tasks remain very "
        "hard: he retains two-step instructions only with a visual prompt.",
    ),
    (
        "Cycle 4 (autumn 2024 to summer 2025)",
        "The multi-sensory programme continued at 5 x 20 minutes a week, with pre-teaching of "
        "topic vocabulary, a reading pen and speech-to-text software for longer writing. "
        "Maths: Numicon-based intervention 3 x 15 minutes a week. Reading age 6y4m at 9y1m; "
        "standardised reading score 71, spelling 69, maths 82. The gap to his peers has "
        'widened in every term despite the intervention, and he now says he is "stupid" '
        "and refuses to read aloud.",
    ),
)

_INTERVENTIONS_BODY = (
    "Summary of four assess-plan-do-review cycles since January 2023, with what was done, "
    "how often, by whom and what difference it made.\n\n"
    + "\n\n".join(f"{title}\n{text}" for title, text in _CYCLES)
    + "\n\nWhat has worked: short daily sessions with the same adult, pre-teaching, visual "
    "prompts and assistive technology. What has not: group work without adult support, and "
    "any task that depends on reading instructions independently. Costs: the setting has "
    "spent more than the notional SEN budget threshold of £6,000 in each of the last two "
    "years (provision map attached).\n\n"
    "Staff involved: class teacher, SENCO, two trained teaching assistants, the Learning "
    "Support Service specialist teacher (termly visits), the NHS speech and language "
    "therapist (block of six sessions in 2024) and the educational psychologist (one "
    "consultation, October 2025). Parents have attended every review and use the reading "
    "pen and word games at home; Mrs Nowak reports homework takes over an hour and often "
    "ends in tears.\n\n"
    "Attendance has dipped from 96.1% to 91.5% this year, mostly Monday mornings; the family "
    "link worker is supporting. Gruffydd has a good friendship group and enjoys football, "
    "Lego and drawing, where his concentration is excellent.\n\n"
    "Classroom adjustments in place throughout: seat near the front away from the door, "
    "instructions given one step at a time and repeated back, a printed copy of anything "
    "written on the board, extra time and a reader for tests, coloured paper for worksheets, "
    "a quiet space to work at for written tasks, and a home-school book read daily by his "
    "class teacher. Without these he completes almost no written work; with them he "
    "completes about half of what his peers do.\n\n"
    "At the autumn 2025 review all agreed that the support the school can make from its own "
    "resources is no longer enough to close the gap or keep his confidence. The next cycle "
    "would need daily specialist teaching and a higher level of adult support across the "
    "curriculum than the school can fund, which is why we now ask for an assessment.\n\n"
    "Gruffydd's own reflection at review, written down by his teaching assistant: \"I like it "
    'when Mrs Ŵyn reads to me first, then I can do it. I do not like the big book." His '
    "targets for this term are to read and spell 20 words with split digraphs, to use the "
    "reading pen on his own in lessons, and to tell an adult when he is stuck."
)

INTERVENTIONS_AND_IMPACT = text_of_length(
    4000, _INTERVENTIONS_BODY, "\n\nWeekly spelling test scores out of 20 since September: "
)

REQUEST_EXAMPLE = {
    # Step 1
    "referrer_name": "Hélène Michałowska",
    "referrer_role": "SENCO",
    "organisation_name": "Glan Ŵy Primary School",
    "organisation_type": "Maintained school",
    "organisation_id": "120345",
    "work_email": "h.michalowska@glanwy.sch.uk",
    "work_phone": "+441164960123",
    "request_basis": "On behalf of the school/college the child attends — s.36(1)",
    "family_aware": "Yes — parent/carer agrees",
    # Step 2
    "child_forename": "Gruffydd",
    "child_surname": "Nowak-Pryce",
    "child_known_as": "Gruff",
    "date_of_birth": "2016-05-14",
    "sex": "Male",
    "address_line_1": "Tŷ Dŵr, 4 Mill Lane",
    "town": "Leicester",
    "postcode": "LE3 9QP",
    "upn": "V856234516123",
    "nhs_number": "4857773457",
    "ethnicity": "Any other White background (WOTH)",
    "first_language": "English and Polish",
    "looked_after": "No",
    "forces_family": "No",
    # Step 3
    "setting_name": "Glan Ŵy Primary School",
    "setting_type": "Mainstream primary",
    "date_admitted": "2020-09-03",
    "year_group": "Year 5",
    "attendance_pct_12m": 91.5,
    "previous_settings": "Little Acorns Nursery, September 2019 to July 2020",
    # Step 4
    "primary_area_of_need": "Cognition and learning",
    "primary_need_type": "SPLD",
    "secondary_need_type": "SLCN",
    "needs_cognition_learning": (
        "Severe and persistent difficulty learning to read and spell.\n"
        "Reading age 6y4m at 9y1m; standardised reading score 71.\n"
        "Weak working memory: needs visual prompts for two-step instructions."
    ),
    "needs_comm_interaction": (
        "Limited vocabulary for his age; finds it hard to explain his ideas in order."
    ),
    "hearing_or_vision_impairment": "None",
    "diagnoses": "Dyslexia indicated by specialist teacher assessment, March 2024.",
    "attainment_and_progress": (
        "Working well below age-related expectations in reading and writing (Year 1 level) "
        "and below in maths (Year 3 level); the gap to peers has widened each term."
    ),
    "social_care_involvement": ["None known"],
    # Step 5
    "sen_support_since": "2023-01-09",
    "apdr_cycles": 4,
    "interventions_and_impact": INTERVENTIONS_AND_IMPACT,
    "why_plan_may_be_needed": (
        "Despite four full cycles of well-targeted SEN support, Gruffydd's progress is "
        "minimal and his self-esteem is falling. He needs daily specialist teaching and adult "
        "support across the curriculum beyond what the school can provide from its resources."
    ),
    "professionals_involved[1].name": "Dr Owain Rees",
    "professionals_involved[1].service": "Educational psychologist, Leicester City EPS",
    "professionals_involved[1].last_contact": "2025-10-01",
    "professionals_involved[1].report_attached": True,
    "professionals_involved[2].name": "Chloé Martin",
    "professionals_involved[2].service": "Specialist teacher, Learning Support Service",
    "professionals_involved[2].last_contact": "2025-06-12",
    "child_views": (
        'Gruffydd says reading makes him feel "stupid" and he wants to read comics by himself.\n'
        "He likes working with one adult he knows."
    ),
    "parent_views": (
        "Mrs Nowak and Mr Pryce are worried he is falling further behind and becoming anxious "
        "about school. They support this request."
    ),
    "outcomes_sought": (
        "To read independently at a level that lets him follow lessons, to write using "
        "assistive technology, and to feel confident as a learner."
    ),
    "ep_involved": "Yes",
    # Step 6
    "documents[1].file": "provision-map-2025.pdf",
    "documents[1].type": "Provision map",
    "documents[1].description": "Costed provision map for 2024-25",
    "documents[1].dated": "2025-07-15",
    "documents[2].file": "ep-consultation-record.docx",
    "documents[2].type": "EP report",
    "documents[2].description": "Record of EP consultation",
    "documents[2].dated": "2025-10-20",
    # Step 7
    "contacts[1].relationship": "Mother",
    "contacts[1].forename": "Anna",
    "contacts[1].surname": "Nowak",
    "contacts[1].has_parental_responsibility": "Yes",
    "contacts[1].address_same_as_child": True,
    "contacts[1].email": "anna.nowak@example.org",
    "contacts[1].language_or_interpreter": "Polish; no interpreter needed",
    "contacts[1].main_contact": True,
    "contacts[2].relationship": "Father",
    "contacts[2].forename": "Rhys",
    "contacts[2].surname": "Pryce",
    "contacts[2].has_parental_responsibility": "Yes",
    "contacts[2].address": "Flat 2, 18 Canal Street, Leicester",
    "contacts[2].postcode": "LE1 6ZG",
    "contacts[2].phone": "+441164960456",
    # Step 8
    "consent_to_share": True,
    "consent_date": "2025-11-03",
    "declaration_accurate": True,
    "privacy_notice_read": True,
    "terms_accepted": True,
    "signed_name": "Hélène Michałowska",
    "signed_date": "2025-11-20",
}
