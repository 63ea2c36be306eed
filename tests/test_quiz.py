"""Self-check quiz: feedback on picking an option, validation, the static text."""

from __future__ import annotations

import pytest

from lecture_lib.dashboards import Question, Quiz

Q1 = Question(
    prompt="With all-zero weights and tanh, which gradients are nonzero?",
    options=("all of them", "only the output bias", "none"),
    answer=1,
    explanation="Every hidden output is tanh(0) = 0, so only b^(L) sees the loss.",
)
Q2 = Question(
    prompt="He initialization uses var(w) =",
    options=("1/d", "2/d", "2/(d_in + d_out)"),
    answer=1,
    explanation="ReLU halves E(x^2), so the variance is doubled.",
    hint="Think about what ReLU does to half of the scores.",
)


@pytest.fixture
def quiz():
    return Quiz([Q1, Q2], title="Check <yourself>")


def test_right_answer_shows_right_and_explanation(quiz):
    quiz.choices[0].value = "only the output bias"
    assert "Right" in quiz.feedback[0].value
    assert "Not quite" not in quiz.feedback[0].value
    assert Q1.explanation in quiz.feedback[0].value
    assert quiz.feedback[1].value == ""  # the other question is untouched


@pytest.mark.parametrize("wrong", ["all of them", "none"])
def test_wrong_answer_shows_not_quite_and_hint(quiz, wrong):
    quiz.choices[0].value = wrong
    assert "Not quite" in quiz.feedback[0].value
    assert "Right" not in quiz.feedback[0].value
    assert Q1.explanation not in quiz.feedback[0].value  # the answer is not given away
    assert Q1.hint in quiz.feedback[0].value


def test_custom_hint_shown(quiz):
    quiz.choices[1].value = "1/d"
    assert Q2.hint in quiz.feedback[1].value


def test_changing_answer_updates_feedback_and_none_clears(quiz):
    quiz.choices[1].value = "1/d"
    assert "Not quite" in quiz.feedback[1].value
    quiz.choices[1].value = "2/d"
    assert "Right" in quiz.feedback[1].value
    quiz.choices[1].value = None
    assert quiz.feedback[1].value == ""


def test_starts_unanswered(quiz):
    assert all(c.value is None for c in quiz.choices)
    assert all(f.value == "" for f in quiz.feedback)
    assert [list(c.options) for c in quiz.choices] == [list(Q1.options), list(Q2.options)]


@pytest.mark.parametrize("answer", [-1, 3, 10])
def test_question_rejects_out_of_range_answer(answer):
    with pytest.raises(ValueError, match="answer"):
        Question(prompt="?", options=("a", "b", "c"), answer=answer, explanation="")


def test_question_accepts_every_valid_index():
    for answer in range(3):
        assert Question(prompt="?", options=("a", "b", "c"), answer=answer,
                        explanation="").answer == answer


def test_mimebundle_text_plain_lists_questions(quiz):
    bundle = quiz._repr_mimebundle_()
    text = bundle["text/plain"]
    lines = text.splitlines()
    assert lines[0].startswith("Check <yourself> (2 questions)")
    assert lines[1] == f"1. {Q1.prompt}"
    assert lines[2] == f"2. {Q2.prompt}"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    # stable: answering does not change the static text
    quiz.choices[0].value = "none"
    assert quiz._repr_mimebundle_()["text/plain"] == text


def test_mimebundle_html_escapes_title_and_lists_options(quiz):
    html = quiz._repr_mimebundle_()["text/html"]
    assert "Check &lt;yourself&gt;" in html
    assert "<yourself>" not in html
    for option in Q1.options + Q2.options:
        assert f"<li>{option}</li>" in html
