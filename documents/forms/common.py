"""Choice lists and fields that more than one form shares."""

from __future__ import annotations

ROLES = (
    "SENCO",
    "Headteacher/Principal",
    "Early years SEN lead",
    "Educational psychologist",
    "Paediatrician/doctor",
    "Nurse",
    "Speech and language therapist",
    "Occupational therapist",
    "Physiotherapist",
    "CAMHS clinician",
    "Social worker/Early help worker",
    "Specialist/advisory teacher (incl. QTVI/QTHI)",
    "Other",
)

ORGANISATION_TYPES = (
    "Maintained school",
    "Academy/free school",
    "Special school",
    "Independent school",
    "Early years provider",
    "FE/sixth-form college",
    "Alternative provision",
    "NHS service",
    "LA social care/early help",
    "LA psychology/SEND service",
    "Other",
)
