"""Plain-text paragraph wrapping for terminals and e-mails."""

from textfold.wrap import fill, indent, justify, shorten, split_paragraphs, wrap_paragraph, wrap_text

__all__ = ["fill", "indent", "justify", "shorten", "split_paragraphs", "wrap_paragraph", "wrap_text"]
