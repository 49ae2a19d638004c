"""Text into DOCX files, safe whatever it holds.

XML 1.0 forbids most control characters, and python-docx (through lxml) raises ``ValueError`` on
a run whose text has one. Forms strip them (``inputs``), but text stored before that filter, or
brought in by an import, may still hold a vertical tab (Word's own manual line break, pasted from
a document), a unit separator or the like — and one such character in one record must not make a
letter, a bulletin or an annual report impossible to download.

So every run of every DOCX the tracker writes is cleaned here, in one place: this module registers
a run element class with python-docx whose ``text`` setter cleans what it is given. Every way of
writing text — ``add_paragraph(text)``, ``add_run(text)``, ``run.text = ...``, ``cell.text = ...``
— goes through that setter. A vertical tab or form feed becomes a line break; any other control
character, and any other code point XML forbids (a lone surrogate, U+FFFE, U+FFFF, the other
noncharacters), is dropped (``inputs.strip_control_characters``, the rule the forms apply). The writers
import ``Document`` from here, which makes sure the class is registered before they write.
"""
import re

from docx import Document  # noqa: F401  (re-exported: writers take it from here)
from docx.oxml.parser import register_element_cls
from docx.oxml.text.run import CT_R

from .inputs import strip_control_characters

_LINE_BREAKS = re.compile(r"[\x0b\x0c]")


def docx_text(text: str) -> str:
    """``text`` as a DOCX run may hold it: vertical tabs and form feeds as line breaks, other
    control characters dropped; tabs and line breaks kept (python-docx writes them as elements)."""
    return strip_control_characters(_LINE_BREAKS.sub("\n", text))


class CleanRun(CT_R):
    """``<w:r>`` whose text is cleaned with ``docx_text`` before python-docx writes it."""

    @CT_R.text.setter
    def text(self, text: str):
        CT_R.text.fset(self, docx_text(text or ""))


register_element_cls("w:r", CleanRun)
