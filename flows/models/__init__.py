from .audit import AuditEntry
from .organisations import Classification, Guidance, Kind, Level, Organisation, Regime, Sector
from .people import (
    LEADERSHIP_ROLES,
    OfficeKind,
    OfficeMembership,
    OfficeRole,
    OversightOffice,
    Role,
    RoleAssignment,
    User,
)

__all__ = [
    "AuditEntry",
    "Classification",
    "Guidance",
    "Kind",
    "LEADERSHIP_ROLES",
    "Level",
    "OfficeKind",
    "OfficeMembership",
    "OfficeRole",
    "Organisation",
    "OversightOffice",
    "Regime",
    "Role",
    "RoleAssignment",
    "Sector",
    "User",
]
