"""Object metadata: one field table per sObject drives validation, SOQL and the describe calls."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from mock_salesforce.ids import KEY_PREFIXES
from mock_salesforce.models import CustomField
from mock_salesforce.models import Task as TaskRow
from mock_salesforce.models import User as UserRow

SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "string": "xsd:string",
    "textarea": "xsd:string",
    "picklist": "xsd:string",
    "combobox": "xsd:string",
    "email": "xsd:string",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
}
# Kinds of the SOQL compiler (email and friends compare like strings there).
SOQL_TYPES = {"email": "string"}

DEFAULT_STATUS = {
    "values": ["Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"],
    "default": "Not Started",
    "closed": ["Completed"],
    "restricted": True,
}
DEFAULT_PRIORITY = {
    "values": ["High", "Normal", "Low"],
    "default": "Normal",
    "high": ["High"],
    "restricted": True,
}
TASK_SUBTYPES = ["Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"]
TASK_TYPES = ["Call", "Email", "Meeting", "Other"]


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: str
    type: str
    attr: str  # model attribute holding the value
    length: int = 0
    createable: bool = False
    updateable: bool = False
    nillable: bool = True
    defaulted_on_create: bool = False
    picklist: tuple[str, ...] = ()
    default_value: str | None = None
    restricted: bool = False
    filterable: bool = True
    sortable: bool = True
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    external_id: bool = False
    unique: bool = False
    case_sensitive: bool = False
    custom: bool = False
    id_lookup: bool = False
    name_field: bool = False

    def __hash__(self) -> int:
        # A field is a dict key on every record write: hash its name (equal fields share it), not all
        # twenty-two members (issue 9).
        return hash(self.name)

    def describe(self) -> dict:
        string_like = self.type in ("string", "textarea", "picklist", "combobox", "email", "id", "reference")
        return {
            "aggregatable": self.type != "textarea",
            "autoNumber": False,
            "byteLength": self.length * 3 if string_like else 0,
            "calculated": False,
            "calculatedFormula": None,
            "cascadeDelete": False,
            "caseSensitive": self.case_sensitive,
            "controllerName": None,
            "createable": self.createable,
            "custom": self.custom,
            "defaultValue": self.default_value,
            "defaultValueFormula": None,
            "defaultedOnCreate": self.defaulted_on_create,
            "dependentPicklist": False,
            "deprecatedAndHidden": False,
            "digits": 0,
            "externalId": self.external_id,
            "filterable": self.filterable,
            "groupable": self.type not in ("textarea", "datetime"),
            "htmlFormatted": False,
            "idLookup": self.id_lookup,
            "inlineHelpText": None,
            "label": self.label,
            "length": self.length if string_like else 0,
            "name": self.name,
            "nameField": self.name_field,
            "namePointing": False,
            "nillable": self.nillable,
            "permissionable": self.nillable and (self.createable or self.updateable),
            "picklistValues": [
                {
                    "active": True,
                    "defaultValue": value == self.default_value,
                    "label": value,
                    "validFor": None,
                    "value": value,
                }
                for value in self.picklist
            ],
            "polymorphicForeignKey": len(self.reference_to) > 1,
            "precision": 0,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "restrictedPicklist": self.restricted,
            "scale": 0,
            "soapType": SOAP_TYPES[self.type],
            "sortable": self.sortable,
            "type": self.type,
            "unique": self.unique,
            "updateable": self.updateable,
        }


def _system_fields() -> list[FieldDef]:
    return [
        FieldDef(
            "CreatedDate", "Created Date", "datetime", "CreatedDate", nillable=False, defaulted_on_create=True
        ),
        FieldDef(
            "CreatedById",
            "Created By ID",
            "reference",
            "CreatedById",
            18,
            nillable=False,
            defaulted_on_create=True,
            reference_to=("User",),
            relationship_name="CreatedBy",
        ),
        FieldDef(
            "LastModifiedDate",
            "Last Modified Date",
            "datetime",
            "LastModifiedDate",
            nillable=False,
            defaulted_on_create=True,
        ),
        FieldDef(
            "LastModifiedById",
            "Last Modified By ID",
            "reference",
            "LastModifiedById",
            18,
            nillable=False,
            defaulted_on_create=True,
            reference_to=("User",),
            relationship_name="LastModifiedBy",
        ),
        FieldDef(
            "SystemModstamp",
            "System Modstamp",
            "datetime",
            "SystemModstamp",
            nillable=False,
            defaulted_on_create=True,
        ),
    ]


def task_fields(status: dict, priority: dict, custom: list[CustomField]) -> list[FieldDef]:
    fields = [
        FieldDef(
            "Id", "Activity ID", "id", "Id", 18, nillable=False, defaulted_on_create=True, id_lookup=True
        ),
        FieldDef(
            "WhoId",
            "Name ID",
            "reference",
            "WhoId",
            18,
            True,
            True,
            reference_to=("Contact", "Lead"),
            relationship_name="Who",
        ),
        FieldDef(
            "WhatId",
            "Related To ID",
            "reference",
            "WhatId",
            18,
            True,
            True,
            reference_to=("Account", "Opportunity", "Case"),
            relationship_name="What",
        ),
        FieldDef(
            "Subject",
            "Subject",
            "combobox",
            "Subject",
            255,
            True,
            True,
            picklist=("Call", "Send Letter", "Send Quote", "Other"),
            name_field=True,
        ),
        FieldDef("ActivityDate", "Due Date Only", "date", "ActivityDate", 0, True, True),
        FieldDef(
            "Status",
            "Status",
            "picklist",
            "Status",
            40,
            True,
            True,
            nillable=False,
            defaulted_on_create=True,
            picklist=tuple(status["values"]),
            default_value=status["default"],
            restricted=bool(status["restricted"]),
        ),
        FieldDef(
            "Priority",
            "Priority",
            "picklist",
            "Priority",
            40,
            True,
            True,
            nillable=False,
            defaulted_on_create=True,
            picklist=tuple(priority["values"]),
            default_value=priority["default"],
            restricted=bool(priority["restricted"]),
        ),
        FieldDef(
            "IsHighPriority",
            "High Priority",
            "boolean",
            "IsHighPriority",
            nillable=False,
            defaulted_on_create=True,
        ),
        FieldDef(
            "OwnerId",
            "Assigned To ID",
            "reference",
            "OwnerId",
            18,
            True,
            True,
            nillable=False,
            defaulted_on_create=True,
            reference_to=("User",),
            relationship_name="Owner",
        ),
        FieldDef(
            "Description",
            "Description",
            "textarea",
            "Description",
            32000,
            True,
            True,
            filterable=False,
            sortable=False,
        ),
        FieldDef("Type", "Type", "picklist", "Type", 40, True, True, picklist=tuple(TASK_TYPES)),
        FieldDef("IsDeleted", "Deleted", "boolean", "IsDeleted", nillable=False, defaulted_on_create=True),
        FieldDef("IsClosed", "Closed", "boolean", "IsClosed", nillable=False, defaulted_on_create=True),
        FieldDef("IsArchived", "Archived", "boolean", "IsArchived", nillable=False, defaulted_on_create=True),
        FieldDef(
            "IsReminderSet",
            "Reminder Set",
            "boolean",
            "IsReminderSet",
            0,
            True,
            True,
            nillable=False,
            defaulted_on_create=True,
        ),
        FieldDef("ReminderDateTime", "Reminder Date/Time", "datetime", "ReminderDateTime", 0, True, True),
        FieldDef(
            "TaskSubtype",
            "Task Subtype",
            "picklist",
            "TaskSubtype",
            40,
            createable=True,
            updateable=False,
            picklist=tuple(TASK_SUBTYPES),
            restricted=True,
        ),
        FieldDef("CompletedDateTime", "Completed Date/Time", "datetime", "CompletedDateTime"),
        *_system_fields(),
    ]
    for cf in custom:
        fields.append(custom_field_def(cf))
    return fields


def custom_field_def(cf: CustomField) -> FieldDef:
    return FieldDef(
        cf.Name,
        cf.Label,
        "string",
        cf.Slot,
        cf.Length,
        True,
        True,
        external_id=cf.ExternalId,
        unique=cf.IsUnique,
        case_sensitive=cf.CaseSensitive,
        custom=True,
        id_lookup=cf.ExternalId or cf.IsUnique,
    )


def user_fields() -> list[FieldDef]:
    return [
        FieldDef("Id", "User ID", "id", "Id", 18, nillable=False, defaulted_on_create=True, id_lookup=True),
        FieldDef(
            "Username", "Username", "string", "Username", 80, nillable=False, id_lookup=True, unique=True
        ),
        FieldDef("LastName", "Last Name", "string", "LastName", 80, nillable=False),
        FieldDef("FirstName", "First Name", "string", "FirstName", 40),
        FieldDef("Name", "Full Name", "string", "Name", 121, nillable=False, name_field=True),
        FieldDef("Email", "Email", "email", "Email", 80, nillable=False),
        FieldDef("IsActive", "Active", "boolean", "IsActive", nillable=False, defaulted_on_create=True),
        FieldDef("TimeZoneSidKey", "Time Zone", "picklist", "TimeZoneSidKey", 40, nillable=False),
        *[f for f in _system_fields() if not f.name.endswith("ById")],
    ]


@dataclass
class SObjectSchema:
    name: str
    label: str
    label_plural: str
    model: type
    fields: list[FieldDef]
    writable: bool = True
    by_lower: dict[str, FieldDef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_lower = {f.name.lower(): f for f in self.fields}

    @property
    def key_prefix(self) -> str:
        return KEY_PREFIXES[self.name]

    def get(self, name: str) -> FieldDef | None:
        return self.by_lower.get(name.lower())

    def column(self, fdef: FieldDef):
        return getattr(self.model, fdef.attr)

    def urls(self, version: str) -> dict:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "compactLayouts": f"{base}/describe/compactLayouts",
            "rowTemplate": f"{base}/{{ID}}",
            "approvalLayouts": f"{base}/describe/approvalLayouts",
            "defaultValues": f"{base}/defaultValues?recordTypeId&fields",
            "describe": f"{base}/describe",
            "quickActions": f"{base}/quickActions",
            "layouts": f"{base}/describe/layouts",
            "sobject": base,
        }

    def short(self, version: str) -> dict:
        """The per-object entry of the global describe and of basic information."""
        return {
            "activateable": False,
            "associateEntityType": None,
            "associateParentEntity": None,
            "createable": self.writable,
            "custom": False,
            "customSetting": False,
            "deepCloneable": False,
            "deletable": self.writable,
            "deprecatedAndHidden": False,
            "feedEnabled": False,
            "hasSubtypes": False,
            "isInterface": False,
            "isSubtype": False,
            "keyPrefix": self.key_prefix,
            "label": self.label,
            "labelPlural": self.label_plural,
            "layoutable": True,
            "mergeable": False,
            "mruEnabled": True,
            "name": self.name,
            "queryable": True,
            "replicateable": True,
            "retrieveable": True,
            "searchable": True,
            "triggerable": True,
            "undeletable": self.writable,
            "updateable": self.writable,
            "urls": self.urls(version),
        }

    def describe(self, version: str) -> dict:
        out = self.short(version)
        out.update(
            {
                "actionOverrides": [],
                "childRelationships": [],
                "compactLayoutable": True,
                "fields": [f.describe() for f in self.fields],
                "listviewable": None,
                "lookupLayoutable": None,
                "namedLayoutInfos": [],
                "networkScopeFieldName": None,
                "recordTypeInfos": [
                    {
                        "active": True,
                        "available": True,
                        "defaultRecordTypeMapping": True,
                        "developerName": "Master",
                        "master": True,
                        "name": "Master",
                        "recordTypeId": "012000000000000AAA",
                        "urls": {
                            "layout": f"/services/data/v{version}/sobjects/{self.name}/describe/layouts/"
                            "012000000000000AAA"
                        },
                    }
                ],
                "searchLayoutable": True,
                "sobjectDescribeOption": "FULL",
                "supportedScopes": [],
            }
        )
        return dict(sorted(out.items()))

    def with_fields(self, fields: list[FieldDef]) -> SObjectSchema:
        return replace(self, fields=fields, by_lower={})


def build_schemas(status: dict, priority: dict, custom: list[CustomField]) -> dict[str, SObjectSchema]:
    """Lower-case object name -> schema, for this org's picklists and custom fields."""
    task = SObjectSchema(
        "Task",
        "Task",
        "Tasks",
        TaskRow,
        task_fields(status, priority, [c for c in custom if c.SObject == "Task"]),
    )
    user = SObjectSchema("User", "User", "Users", UserRow, user_fields(), writable=False)
    return {"task": task, "user": user}
