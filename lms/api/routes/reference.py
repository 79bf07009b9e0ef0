"""Reference data, by stable code: sectors, organisation types, job roles, areas."""
from flask import jsonify

from lms.api import bp, services
from lms.api.document import describe
from lms.api.fields import dump
from lms.api.schemas import JobRoleList, OrganisationTypeList, ReferenceList


def _items(schema, kind: str):
    return jsonify(dump(schema, {"items": services.list_reference(kind)}))


@bp.get("/reference/sectors")
@describe("listSectors", "Sectors", tag="reference", response=ReferenceList)
def sectors():
    return _items(ReferenceList, "sectors")


@bp.get("/reference/organisation-types")
@describe("listOrganisationTypes", "Organisation types, with their default sector", tag="reference",
          response=OrganisationTypeList)
def organisation_types():
    return _items(OrganisationTypeList, "organisation-types")


@bp.get("/reference/job-roles")
@describe("listJobRoles", "Job roles", tag="reference", response=JobRoleList)
def job_roles():
    return _items(JobRoleList, "job-roles")


@bp.get("/reference/areas")
@describe("listAreas", "The partnership's areas (localities)", tag="reference", response=ReferenceList)
def areas():
    return _items(ReferenceList, "areas")
