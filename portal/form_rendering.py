"""A form renderer that writes the plain input and select widgets in Python.

Django renders each widget from a template, and a select includes one template per option
(and one for each option's attributes): a filter form of a list page costs more than its
25 rows. This renderer writes the same markup as Django's templates for `<input>` and
`<select>` widgets and hands every other template to Django's renderer unchanged.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe

_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "search",
        "email",
        "url",
        "tel",
        "number",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "checkbox",
    )
)
_SELECT_TEMPLATE = "django/forms/widgets/select.html"
_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name.
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{escape(str(value))}"')
    return "".join(out)


def render_input(widget: dict) -> SafeString:
    value = widget["value"]
    value_attr = "" if value is None else f' value="{escape(str(value))}"'
    kind, name = conditional_escape(widget["type"]), conditional_escape(widget["name"])
    return mark_safe(  # noqa: S308 (every part is escaped above)
        f'<input type="{kind}" name="{name}"{value_attr}{_attrs(widget["attrs"])}>'
    )


def _option(option: dict) -> str:
    return (
        f'<option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>"
    )


def render_select(widget: dict) -> SafeString:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        parts.extend(f"\n  {_option(option)}" for option in options)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 (every part is escaped above)


class QuickWidgetRenderer(DjangoTemplates):
    """Django's default renderer, except for inputs and selects (options in Django's own
    template, such as a subclass's, still go through the templates)."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None:
            if template_name in _INPUT_TEMPLATES:
                return render_input(widget)
            if template_name == _SELECT_TEMPLATE and all(
                option.get("template_name") == _OPTION_TEMPLATE
                for _, options, _ in widget["optgroups"]
                for option in options
            ):
                return render_select(widget)
        return super().render(template_name, context, request)


quick_widget_renderer = QuickWidgetRenderer()
