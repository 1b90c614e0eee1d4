"""A small glossary: define terms, look them up and search them."""

from termbook.glossary import DuplicateTerm, Entry, Glossary

__all__ = ["DuplicateTerm", "Entry", "Glossary"]
