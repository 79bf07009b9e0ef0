"""Reference data, by stable code: sectors, organisation types, job roles, areas."""
from flask import jsonify

from lms.api import bp, serialise, services


@bp.get("/reference/sectors")
def sectors():
    return jsonify({"items": [serialise.reference_item(row) for row in services.list_reference("sectors")]})


@bp.get("/reference/organisation-types")
def organisation_types():
    rows = services.list_reference("organisation-types")
    return jsonify({"items": [serialise.organisation_type(row) for row in rows]})


@bp.get("/reference/job-roles")
def job_roles():
    return jsonify({"items": [serialise.job_role(row) for row in services.list_reference("job-roles")]})


@bp.get("/reference/areas")
def areas():
    return jsonify({"items": [serialise.reference_item(row) for row in services.list_reference("areas")]})
