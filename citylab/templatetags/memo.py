"""`{% memo text_size %}…{% endmemo %}`: markup rendered once per process for each active
language and combination of the listed values, then reused.

The layout cost more than a resident's question page's own content: four static file URLs,
URL reversing, a dozen translations and two includes on every page (0.6 ms of Python), all
giving the same markup for the same language and text size. Wrapping those parts keeps the
markup in the template, where it is read and changed, and renders it once.

Only for markup that depends on nothing but the active language, the listed values and the
deployment (static file names, URL patterns, translation catalogues): never a CSRF token,
the request's path, the user, messages or a block that a child template overrides (a
`{% block %}` inside a memo is not seen by `{% extends %}`).
"""

from __future__ import annotations

import weakref

from django import template
from django.core.signals import setting_changed
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

# The values a block is listed with are few (a text size, a flag): past this many
# combinations a block is rendered each time rather than kept, so a mistaken value (a path,
# a user) costs speed, never memory.
MAX_KEPT = 32

_nodes: weakref.WeakSet[MemoNode] = weakref.WeakSet()


class MemoNode(template.Node):
    # What a memo holds is fixed markup, not template structure: `{% extends %}`, which walks
    # every node of the parent on each render to find its blocks, need not look inside.
    child_nodelists = ()

    def __init__(self, nodelist: NodeList, values: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.values = values
        self.kept: dict[tuple[str, ...], SafeString] = {}
        _nodes.add(self)

    def render(self, context: template.Context) -> SafeString:
        key = (get_language() or "", *(str(value.resolve(context)) for value in self.values))
        found = self.kept.get(key)
        if found is None:
            found = self.nodelist.render(context)
            if len(self.kept) < MAX_KEPT:
                self.kept[key] = found
        return found


@register.tag
def memo(parser: Parser, token: Token) -> MemoNode:
    values = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    return MemoNode(nodelist, values)


def _forget(**kwargs: object) -> None:
    # Tests change settings (static URL, languages) between pages rendered in one process.
    for node in list(_nodes):
        node.kept.clear()


setting_changed.connect(_forget, dispatch_uid="citylab-memo-forget")
