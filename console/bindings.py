"""Key bindings in the current language.

Binding descriptions are written as `N_("...")` at class level, before a language is chosen;
`translate_bindings` swaps in the translation when a screen or the app is created.
"""

from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode

from console.i18n import _


def translate_bindings(node: DOMNode) -> None:
    """Replace the node's binding descriptions and tooltips with their translations."""
    # Textual keeps a per-instance copy of the class bindings in `_bindings`.
    mapping = node._bindings.key_to_bindings
    for key, bindings in mapping.items():
        mapping[key] = [
            replace(
                b,
                description=_(b.description) if b.description else b.description,
                tooltip=_(b.tooltip) if b.tooltip else b.tooltip,
            )
            for b in bindings
        ]
