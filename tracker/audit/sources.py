"""Imports every feature's ``audit_log`` module once, so the 操作日志 shows each kind of record by
its Chinese name and fields (``audit.present.describe_object``) in every process. The models do
not import the page's vocabulary; this loader, called by the app factory, brings the two together."""


def load() -> None:
    from ..accounts import audit_log as _accounts  # noqa: F401
    from ..applications import audit_log as _applications  # noqa: F401
    from ..bulletins import audit_log as _bulletins  # noqa: F401
    from ..disclosure import audit_log as _disclosure  # noqa: F401
    from ..inspections import audit_log as _inspections  # noqa: F401
    from ..reports import audit_log as _reports  # noqa: F401
    from ..scores import audit_log as _scores  # noqa: F401
    from ..units import audit_log as _units  # noqa: F401
    from ..website import audit_log as _website  # noqa: F401
    from ..workcal import audit_log as _workcal  # noqa: F401
