"""Self-check questions with instant feedback, offline (plain ipywidgets, no service)."""

from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets

from lecture_lib.dashboards.style import BAD_COLOR, GOOD_COLOR, colored


@dataclass(frozen=True)
class Question:
    """A multiple-choice question.

    ``answer`` indexes the right option; ``explanation`` says why it is right (shown once it is
    picked); ``hint`` is shown after a wrong pick, without giving the answer away.
    """

    prompt: str
    options: tuple[str, ...]
    answer: int
    explanation: str
    hint: str = "Look back at the section above and at what the dashboard shows."

    def __post_init__(self) -> None:
        for name in ("prompt", "explanation", "hint"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string, got {getattr(self, name)!r:.60}")
        options = self.options
        if isinstance(options, str) or not isinstance(options, (tuple, list)) or len(
                options) < 2 or not all(isinstance(o, str) for o in options):
            raise ValueError(f"options must be a tuple of at least two strings, got "
                             f"{options!r:.80}")
        if len(set(options)) != len(options):
            raise ValueError("options must be different from each other (a pick is read back "
                             "by its text)")
        object.__setattr__(self, "options", tuple(options))
        if not isinstance(self.answer, int) or isinstance(self.answer, bool) or not (
                0 <= self.answer < len(self.options)):
            raise ValueError(f"answer must be the index of the right option, an integer from 0 "
                             f"to {len(self.options) - 1}, got {self.answer!r}")


class Quiz:
    """A column of questions; picking an option shows at once whether it is right and why.

    ``choices[i]`` is question i's RadioButtons, ``feedback[i]`` its feedback HTML.
    """

    def __init__(self, questions, *, title: str = "Self-check") -> None:
        if isinstance(questions, Question) or not isinstance(questions, (list, tuple)):
            raise ValueError(f"questions must be a list of Question, e.g. Quiz([Question(...)]), "
                             f"got {type(questions).__name__}")
        if not questions:
            raise ValueError("questions must hold at least one Question")
        for i, question in enumerate(questions):
            if not isinstance(question, Question):
                raise ValueError(f"questions[{i}] must be a Question, got "
                                 f"{type(question).__name__}")
        if not isinstance(title, str):
            raise ValueError(f"title must be a string, got {title!r:.60}")
        self.questions = list(questions)
        self.title = title
        self.choices = []
        self.feedback = []
        rows = [widgets.HTML(f"<h3>{html.escape(title)}</h3>")]
        for number, question in enumerate(self.questions, start=1):
            choice = widgets.RadioButtons(
                options=list(question.options),
                value=None,
                layout=widgets.Layout(width="auto"),
                style={"description_width": "0px"},
            )
            feedback = widgets.HTML("")
            choice.observe(self._answer_checker(question, feedback), names="value")
            self.choices.append(choice)
            self.feedback.append(feedback)
            prompt = widgets.HTMLMath(f"<b>{number}.</b> {question.prompt}")
            rows.append(widgets.VBox([prompt, choice, feedback], layout={"margin": "0 0 12px 0"}))
        self.box = widgets.VBox(rows, layout={"border": "1px solid #ccc", "padding": "8px"})

    @staticmethod
    def _answer_checker(question: Question, feedback: widgets.HTML):
        def check(change) -> None:
            if change["new"] is None:
                feedback.value = ""
            elif question.options.index(change["new"]) == question.answer:
                feedback.value = f"{colored('✔ Right.', GOOD_COLOR)} {question.explanation}"
            else:
                feedback.value = (
                    f"{colored('✘ Not quite: try again.', BAD_COLOR)} {question.hint}"
                )

        return check

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.box._repr_mimebundle_(**kwargs) or {}
        lines = [f"{self.title} ({len(self.questions)} questions): run the notebook to answer"]
        items = []
        for number, q in enumerate(self.questions, start=1):
            lines.append(f"{number}. {q.prompt}")
            options = "".join(f"<li>{html.escape(o)}</li>" for o in q.options)
            items.append(
                f"<li>{q.prompt}<ol type='a'>{options}</ol><details><summary>answer</summary>"
                f"{html.escape(q.options[q.answer])}: {q.explanation}</details></li>"
            )
        bundle["text/plain"] = "\n".join(lines)
        bundle["text/html"] = f"<h3>{html.escape(self.title)}</h3><ol>{''.join(items)}</ol>"
        return bundle
