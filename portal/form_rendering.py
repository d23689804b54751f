"""A form renderer that writes the plain input and select widgets in Python.

Django renders each widget from a template, and a select includes one template per option
(and one for each option's attributes): a filter form of a list page costs more than its
25 rows. This renderer writes the same markup as Django's templates for `<input>` and
`<select>` widgets and hands every other template to Django's renderer unchanged.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

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


def _attrs(attrs: dict) -> SafeString:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name.
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def render_input(widget: dict) -> SafeString:
    value = widget["value"]
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        "" if value is None else format_html(' value="{}"', value),
        _attrs(widget["attrs"]),
    )


def _options(options: list[dict]) -> SafeString:
    return format_html_join(
        "",
        '\n  <option value="{}"{}>{}</option>',
        ((option["value"], _attrs(option["attrs"]), option["label"]) for option in options),
    )


def _optgroup(group_name, options: list[dict]) -> SafeString:
    if group_name:
        return format_html(
            '\n  <optgroup label="{}">{}\n  </optgroup>', group_name, _options(options)
        )
    return _options(options)


def render_select(widget: dict) -> SafeString:
    return format_html(
        '<select name="{}"{}>{}\n</select>',
        widget["name"],
        _attrs(widget["attrs"]),
        format_html_join(
            "", "{}", ((_optgroup(name, options),) for name, options, _ in widget["optgroups"])
        ),
    )


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
