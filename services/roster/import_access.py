"""Who may use the roster import: one permission for the menu entry, the page guard and the import service.

The workbook holds mediators (roster.edit) and organisations (org.edit, which every built-in role holding
roster.edit also holds); a role that could open the page but not import a mediator would be refused after
uploading, so the page is shown by the permission the service checks first.
"""

from __future__ import annotations

from services.access.permissions import P

IMPORT_PERMISSION = P.ROSTER_EDIT
