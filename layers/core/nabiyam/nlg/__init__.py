"""Natural-language answers for children: templates (`templates`) and the style rules they obey (`style`)."""

from nabiyam.nlg import style, templates
from nabiyam.nlg.templates import Answer

__all__ = ["Answer", "style", "templates"]
