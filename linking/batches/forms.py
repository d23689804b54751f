"""The forms of batch linking and the directory import: the uploaded file, the row filter."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linking.forms import FilterForm, style_fields, with_any
from linking.models import BatchRow


class UploadForm(forms.Form):
    """A tabular file; its size and content are checked by the reader, which says what is wrong."""

    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.xlsx,text/csv", "class": "form-control"}
        ),
    )


class BatchRowFilterForm(FilterForm):
    outcome = forms.ChoiceField(
        required=False, label=_("Rows"), choices=with_any(BatchRow.Outcome.choices, _("All"))
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)
