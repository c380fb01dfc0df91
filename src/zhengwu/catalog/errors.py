from zhengwu.core.errors import DomainError


class CatalogError(DomainError):
    """A refused catalogue change; ``code`` is one of the stable codes below."""


INVALID_TRANSITION = "catalog.invalid_transition"
NOT_ALLOWED = "catalog.not_allowed"
NAME_TAKEN = "catalog.name_taken"
CODE_EXHAUSTED = "catalog.code_exhausted"
INVALID_CODE = "catalog.invalid_code"
UNKNOWN_ITEM_TYPE = "catalog.unknown_item_type"
UNKNOWN_THEME = "catalog.unknown_theme"
LISTING_EXISTS = "catalog.listing_exists"
OPEN_VERSION_EXISTS = "catalog.open_version_exists"
INVALID_GUIDE = "catalog.invalid_guide"
RULES_BROKEN = "catalog.rules_broken"
INVALID_DATE = "catalog.invalid_date"
NOT_FOUND = "catalog.not_found"
INVALID_FILE = "catalog.invalid_file"
INVALID_LEGAL_BASIS = "catalog.invalid_legal_basis"
INVALID_FIELDS = "catalog.invalid_fields"
