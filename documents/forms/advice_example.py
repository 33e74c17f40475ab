"""A complete, valid set of answers to the advice form, in canonical values.

The educational psychologist's advice on the child of the request example. It holds accented
and Welsh letters, line breaks and one long-text answer of exactly 4,000 characters; dates are in
2025 so the answers stay valid whatever day in 2026 or 2027 they are checked on.
"""

from __future__ import annotations

from documents.forms.common import text_of_length

_BACKGROUND_BODY = (
    "Family and early history\n"
    "Gruffydd lives with his mother, Anna Nowak, and his younger sister; his father, Rhys "
    "Pryce, lives nearby and sees him every weekend and on Wednesday evenings. Both parents "
    "hold parental responsibility and came to the consultation together. The family speak "
    "English and Polish at home; Gruffydd understands Polish well but answers in English. "
    "Pregnancy and birth were unremarkable. Early motor milestones were met on time; his "
    "first words came at around 18 months and his mother recalls that he was slow to put "
    "words together and was hard for others to understand until he was about four. A "
    "hearing test in 2019 (audiology, Leicester Royal Infirmary) was clear, and a sight test "
    "in 2023 found no difficulty.\n\n"
    "Education\n"
    "He attended Little Acorns Nursery from September 2019 and started in Reception at Glan "
    "Ŵy Primary School in September 2020, where he remains, now in Year 5. His Reception "
    "teacher noted difficulty learning letter sounds and remembering the names of classmates. "
    "The Year 1 phonics screening check was not passed (score 14) and was re-taken in Year 2 "
    "(score 24, not passed). He has been on the school's SEN register since January 2023 and "
    "has had four full assess-plan-do-review cycles, described in the school's request.\n\n"
    "Earlier assessments\n"
    "Chloé Martin, specialist teacher with the Learning Support Service, assessed him in "
    "March 2024 and again in June 2025. Her reports found a marked weakness in phonological "
    "processing and rapid naming, with verbal reasoning in the average range; she concluded "
    "that his profile is consistent with dyslexia. An NHS speech and language therapist saw "
    "him for a block of six sessions in spring 2024 and found receptive language within the "
    "low average range and expressive vocabulary below average; he was discharged with a "
    "programme for school. There has been no involvement from children's social care or "
    "CAMHS.\n\n"
    "What the family tell me\n"
    "Mrs Nowak says he has always loved being read to and will listen to audiobooks for an "
    "hour, but homework ends in tears most evenings and he has started to say he is stupid. "
    "Mr Pryce describes a boy who is careful and thoughtful, good with his hands, who builds "
    "elaborate Lego models from the pictures without reading the words. Both parents are "
    "worried that the gap is widening as the work becomes more reliant on reading, and that "
    "he is beginning to avoid school on Mondays, when the class has a spelling test.\n\n"
    "What school staff tell me\n"
    "His class teacher describes him as popular, kind and keen to help, with a strong group "
    "of friends at football. In lessons he listens well and contributes orally when he feels "
    "safe, but he becomes very quiet when asked to read aloud and has started to ask to go "
    "to the toilet at the start of literacy lessons. His teaching assistant reports that he "
    "works best in short, structured sessions with one familiar adult, and that his "
    "concentration is excellent in practical and creative tasks. The SENCO, Mrs Michałowska, "
    "reports that the school has used every intervention it can resource and that progress "
    "across the four cycles has been real but very slow.\n\n"
    "Health and attendance\n"
    "Gruffydd is healthy, takes no regular medication and sleeps well, although his mother "
    "notices he is tired and irritable after school on days with long written tasks. His "
    "attendance this year is 91.5%, down from 96.1%, with most absences on Mondays; the "
    "school's family link worker now meets Mrs Nowak every fortnight about this.\n\n"
    "My involvement\n"
    "I first consulted with school staff about Gruffydd in October 2025 and was then asked to "
    "give psychological advice. I observed him in class during a literacy and a maths lesson, "
    "worked with him individually on two mornings, used standardised assessments of "
    "cognitive ability, reading, spelling and working memory, and met both parents at "
    "school. The findings and my advice on his needs, outcomes and provision follow in "
    "steps 5 and 6; my full report is attached."
)

BACKGROUND = text_of_length(
    4000, _BACKGROUND_BODY, "\n\nHis weekly spelling test scores out of 20 this term so far: "
)

ADVICE_EXAMPLE = {
    # Step 1
    "advice_request_ref": "ADV-2025-000123",
    "advice_type": "Psychological 6(1)(d)",
    "author_name": "Dr Owain Rees",
    "author_role": "Educational psychologist",
    "organisation": "Leicester City Educational Psychology Service",
    "professional_register": "HCPC",
    "registration_number": "PYL012345",
    "work_email": "owain.rees@eps.example.gov.uk",
    "date_request_received": "2025-10-06",
    # Step 2
    "child_forename": "Gruffydd",
    "child_surname": "Nowak-Pryce",
    "date_of_birth": "2016-05-14",
    "nhs_number": "4857773457",
    "upn": "V856234516123",
    "identity_confirmed": True,
    # Step 3
    "involvement_summary": (
        "Consultation with school staff in October 2025, then assessment for this advice.\n"
        "Two individual sessions and one classroom observation."
    ),
    "first_involved": "2025-10-01",
    "assessment_dates": "21/10/2025 and 04/11/2025",
    "methods": [
        "Observation in setting",
        "Direct work with child",
        "Standardised assessment",
        "Discussion with parents",
        "Discussion with staff",
    ],
    "seen_in_person": "Yes",
    "existing_advice_reused": "New advice",
    # Step 4
    "child_views": (
        'Gruffydd told me: "Reading is the worst bit. I\'m good at football and Lego."\n'
        'He would like someone to help him "every day, not just sometimes".'
    ),
    "how_views_gathered": "Direct conversation",
    "parent_views": (
        "Mrs Nowak and Mr Pryce want him to read well enough to enjoy school again, and to stop "
        "feeling he is stupid."
    ),
    "background": BACKGROUND,
    "other_agencies": (
        "Learning Support Service (Chloé Martin); NHS speech and language therapy; "
        "Canolfan Dŵr youth club."
    ),
    "strengths": (
        "Kind, sociable and persistent; strong verbal reasoning, excellent practical and "
        "construction skills, enjoys football and drawing."
    ),
    # Step 5
    "needs_cognition_learning": (
        "Phonological processing and working memory well below average (2nd and 5th "
        "centiles) against average verbal reasoning.\n"
        "Reading and spelling at a Year 1 level."
    ),
    "needs_semh": "Growing anxiety about reading aloud and low self-esteem as a learner.",
    "diagnoses[1].condition": "Dyslexia (indicated)",
    "diagnoses[1].year_diagnosed": 2024,
    "diagnoses[1].by_whom": "Specialist teacher, Learning Support Service",
    # Step 6
    "outcomes[1].area": "Cognition and learning",
    "outcomes[1].text": (
        "By the end of Key Stage 2, Gruffydd will read age-appropriate texts with support "
        "from assistive technology and decode unfamiliar words of two syllables."
    ),
    "outcomes[1].by_when": "End of current key stage",
    "outcomes[2].area": "SEMH",
    "outcomes[2].text": "Within 12 months, Gruffydd will read aloud to a familiar adult by choice.",
    "outcomes[2].by_when": "12 months",
    "provision[1].outcome_ref": "Outcome 1",
    "provision[1].what": (
        "Structured, cumulative, multi-sensory literacy teaching, planned by a specialist "
        "teacher and delivered by a trained assistant."
    ),
    "provision[1].who": "Specialist teacher with a trained teaching assistant",
    "provision[1].how_often": "5 x 20 minutes per week",
    "provision[1].plan_section": "F educational",
    "provision[2].outcome_ref": "Outcome 2",
    "provision[2].what": "Small-group self-esteem work and paired reading with a familiar adult.",
    "provision[2].who": "Teaching assistant trained in paired reading",
    "provision[2].how_often": "3 sessions a week",
    "provision[2].plan_section": "F educational",
    "no_placement_named": True,
    # Step 7
    "documents[1].file": "EP-advice-Gruffydd-Nowak-Pryce.pdf",
    "documents[1].type": "EP report",
    "documents[1].description": "Full psychological advice report",
    "documents[1].dated": "2025-11-14",
    "documents[2].file": "assessment-scores.png",
    "documents[2].type": "Attainment/progress data",
    "documents[2].description": "Table of standardised assessment scores",
    "documents[2].dated": "2025-11-04",
    "primary_report_attached": True,
    # Step 8
    "will_be_shared_ack": True,
    "within_expertise": True,
    "declaration_accurate": True,
    "terms_accepted": True,
    "signed_name": "Dr Owain Rees",
    "signed_date": "2025-11-14",
}
