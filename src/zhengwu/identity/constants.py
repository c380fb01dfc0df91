from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    """Staff roles. The identity issue adds more; every check goes through facade.py."""

    DEPARTMENT_EDITOR = "department_editor", _("部门事项编辑")
    CATALOGUE_AUTHORITY = "catalogue_authority", _("编委办审核发布")
