"""A form made to work the renderer's layout hard: page breaks, long labels and hints,
options too long for two columns, and a repeating group with an overflow box."""

from __future__ import annotations

from documents.schema import Field, FieldType, FormDefinition, Group, step

T = FieldType


def stress_form() -> FormDefinition:
    """A form that makes the layout work: page breaks, long labels, groups, many options."""
    many = [
        Field(f"item_{i}", f"Question number {i} about the child's day at school", T.TEXT)
        for i in range(30)
    ]
    return FormDefinition(
        kind="stress",
        version=1,
        title="Layout stress test form",
        intro="A form used only by the tests.",
        steps=(
            step(
                1,
                "Many short questions",
                "Enough boxes to run over several pages.",
                *many,
            ),
            step(
                2,
                "Long words and lists",
                "",
                Field(
                    "long_label",
                    "A question whose wording runs on and on so that it cannot possibly fit on a "
                    "single line of the page and has to wrap onto a second and maybe a third "
                    "line before the box",
                    T.LONG_TEXT,
                    required=True,
                    hint="a hint that is also rather long, to see that it wraps below the label "
                    "in smaller grey text without running into the box or off the page edge",
                ),
                Field(
                    "needs",
                    "Which of these apply?",
                    T.MULTI_CHOICE,
                    choices=(
                        "None known",
                        "Early help",
                        "A rather long option that cannot share its line with another column "
                        "and so has to wrap onto a line of its own below",
                        "Looked after",
                    ),
                ),
                Field("consent", "I agree", T.CHECKBOX, required=True),
                Group(
                    "documents",
                    "Documents",
                    fields=(
                        Field("file", "File name", T.FILE, required=True),
                        Field("kind", "Type", T.CHOICE, choices=("Report", "Plan")),
                        Field("dated", "Dated", T.DATE),
                    ),
                    rows=4,
                ),
            ),
        ),
        example={
            "item_0": "first",
            "long_label": "x" * 3000,
            "needs": ["Early help", "Looked after"],
            "consent": True,
            "documents[1].file": "report.pdf",
            "documents[1].kind": "Plan",
            "documents[1].dated": "2024-11-02",
            "documents_more": "one.pdf; Report; 01/02/2024\ntwo.pdf; Plan; 03/04/2024",
        },
    )


STRESS = stress_form()
