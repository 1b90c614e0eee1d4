"""Rendering chat messages with the model's own Jinja chat template."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from kog.engine.api import Message
from kog.engine.errors import UnsupportedModelError

# Used only when a model file carries no template: the ChatML layout both registry families speak.
_CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _raise(message: str) -> None:
    raise jinja2.TemplateError(message)


class ChatTemplate:
    def __init__(self, source: str | None, bos_token: str = "", eos_token: str = ""):
        env = ImmutableSandboxedEnvironment(
            trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
        )
        env.globals["raise_exception"] = _raise
        env.globals["strftime_now"] = lambda fmt: date.today().strftime(fmt)
        self.source = source or _CHATML
        try:
            self._template = env.from_string(self.source)
        except jinja2.TemplateSyntaxError as exc:
            raise UnsupportedModelError(f"the model's chat template does not compile: {exc}") from exc
        self.bos_token, self.eos_token = bos_token, eos_token

    def render(self, messages: Sequence[Message], add_generation_prompt: bool = True) -> str:
        try:
            return self._template.render(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                add_generation_prompt=add_generation_prompt,
                bos_token=self.bos_token,
                eos_token=self.eos_token,
                tools=None,
            )
        except jinja2.TemplateError as exc:
            raise UnsupportedModelError(f"the model's chat template failed: {exc}") from exc
