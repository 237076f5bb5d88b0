//! The OpenAPI 3.1 document for /api/v1, kept beside the routes it describes.

use serde_json::{Value, json};

use crate::domain::rfc::fields::CORE;
use crate::domain::rfc::{Action, State};

pub fn document() -> Value {
    let states: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
    let transitions: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
    let core: Vec<&str> = CORE.iter().map(|c| c.0).collect();
    let filter = |name: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": description });
    let id_param = json!({
        "name": "id", "in": "path", "required": true,
        "schema": { "type": "string", "pattern": "^(RFC-)?[1-9][0-9]*$" }, "description": "RFC id, e.g. RFC-12"
    });
    let errors = json!({ "description": "Refused or invalid", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Errors" } } } });
    let rfc_response = json!({ "description": "The RFC", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Rfc" } } } });
    let deployments_path = json!({
        "get": {
            "operationId": "listDeployments",
            "summary": "Deployments into the CRM, newest first (those into environments you may promote to, or all with audit.view)",
            "parameters": [filter("env", "environment name"), { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } }],
            "responses": {
                "200": { "description": "Deployments", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Deployment" } } } } },
                "401": errors.clone()
            }
        }
    });
    let deployment_path = json!({
        "get": {
            "operationId": "getDeployment",
            "summary": "One deployment with each step's state, exit code, duration and output tail (secrets as ***)",
            "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
            "responses": {
                "200": { "description": "The deployment", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Deployment" } } } },
                "401": errors.clone(), "404": errors.clone()
            }
        }
    });
    let deployment_schema = json!({
        "type": "object",
        "properties": {
            "id": { "type": "integer" }, "environment": { "type": "string" }, "package": { "type": "string" },
            "version": { "type": ["string", "null"] }, "tree": { "type": ["string", "null"] },
            "commit": { "type": "string" }, "action": { "type": "string", "enum": ["promote", "rollback", "retire"] },
            "state": { "type": "string", "enum": ["queued", "running", "succeeded", "failed", "timed_out", "interrupted", "cancelled"] },
            "requested_by": { "type": "string" }, "created_at": { "type": "string" },
            "started_at": { "type": ["string", "null"] }, "finished_at": { "type": ["string", "null"] },
            "error": { "type": ["string", "null"] }, "retry_of": { "type": ["integer", "null"] },
            "steps": { "type": "array", "items": { "type": "object", "properties": {
                "name": { "type": "string" }, "state": { "type": "string" }, "exit_code": { "type": ["integer", "null"] },
                "duration_ms": { "type": ["integer", "null"] }, "output_tail": { "type": "string" } } } }
        }
    });
    let (attachments_path, attachment_path) = attachments(&id_param, &errors);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "dtap API",
            "version": "1",
            "description": "Requests for change (RFCs) of a dtap workspace. Authenticate with a bearer API token."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/rfcs": {
                "get": {
                    "operationId": "listRfcs",
                    "summary": "List RFCs, newest first, with filters and full-text search",
                    "parameters": [
                        { "name": "state", "in": "query", "required": false, "schema": { "type": "string", "enum": states } },
                        filter("template", "template id"),
                        filter("department", "department"),
                        filter("requester", "requester's e-mail"),
                        filter("package", "a package whose manifest names the RFC, or the RFC's linked package"),
                        filter("tester", "an appointed tester's e-mail, in any environment"),
                        filter("q", "full-text search over title and answers"),
                        { "name": "sort", "in": "query", "required": false, "schema": { "type": "string", "enum": ["newest", "oldest", "updated", "title", "state"] } },
                        { "name": "page", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1 } },
                        { "name": "per_page", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 100 } }
                    ],
                    "responses": {
                        "200": {
                            "description": "One page of RFCs; X-Total-Count, X-Page and X-Pages headers tell the rest",
                            "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/RfcSummary" } } } }
                        },
                        "401": errors.clone(),
                        "403": errors.clone()
                    }
                },
                "post": {
                    "operationId": "createRfc",
                    "summary": "File an RFC (a draft) from a template",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewRfc" } } } },
                    "responses": { "201": rfc_response.clone(), "400": errors.clone(), "401": errors.clone(), "403": errors.clone(), "422": errors.clone() }
                }
            },
            "/api/v1/rfcs/{id}": {
                "get": {
                    "operationId": "getRfc",
                    "summary": "One RFC with its test plan, testers, comments and timeline",
                    "parameters": [id_param.clone()],
                    "responses": { "200": rfc_response.clone(), "401": errors.clone(), "404": errors.clone() }
                },
                "patch": {
                    "operationId": "editRfc",
                    "summary": "Change the title, department or answers of an RFC",
                    "parameters": [id_param.clone()],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RfcChanges" } } } },
                    "responses": { "200": rfc_response.clone(), "400": errors.clone(), "403": errors.clone(), "404": errors.clone(), "409": errors.clone(), "422": errors.clone() }
                }
            },
            "/api/v1/rfcs/{id}/transitions": {
                "post": {
                    "operationId": "transitionRfc",
                    "summary": "Move an RFC: submit, approve, reject, start, hold, resume, withdraw, close",
                    "parameters": [id_param],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Transition" } } } },
                    "responses": { "200": rfc_response, "400": errors.clone(), "403": errors.clone(), "404": errors.clone(), "409": errors.clone(), "422": errors }
                }
            },
            "/api/v1/rfcs/{id}/attachments": attachments_path,
            "/api/v1/rfcs/{id}/attachments/{n}": attachment_path,
            "/api/v1/deployments": deployments_path,
            "/api/v1/deployments/{id}": deployment_path,
            "/api/v1/openapi.json": {
                "get": { "operationId": "openapi", "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI 3.1" } } }
            }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "FieldValue": { "oneOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }] },
                "Fields": {
                    "type": "object",
                    "description": format!("Template answers by field id, plus the core fields {}", core.join(", ")),
                    "additionalProperties": { "$ref": "#/components/schemas/FieldValue" }
                },
                "NewRfc": {
                    "type": "object", "additionalProperties": false, "required": ["template", "title"],
                    "properties": {
                        "template": { "type": "string" }, "title": { "type": "string", "maxLength": 200 },
                        "department": { "type": "string" }, "fields": { "$ref": "#/components/schemas/Fields" }
                    }
                },
                "RfcChanges": {
                    "type": "object", "additionalProperties": false,
                    "properties": { "title": { "type": "string" }, "department": { "type": "string" }, "fields": { "$ref": "#/components/schemas/Fields" } }
                },
                "Transition": {
                    "type": "object", "additionalProperties": false, "required": ["transition"],
                    "properties": { "transition": { "type": "string", "enum": transitions }, "comment": { "type": "string" } }
                },
                "RfcSummary": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "string" }, "title": { "type": "string" }, "state": { "type": "string", "enum": states },
                        "template": { "type": "string" }, "requester": { "type": "string" }, "department": { "type": "string" },
                        "package": { "type": ["string", "null"] }, "priority": { "type": ["string", "null"] },
                        "risk": { "type": ["string", "null"] }, "updated_at": { "type": "string" }
                    }
                },
                "Rfc": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "string" }, "template": { "type": "string" }, "title": { "type": "string" },
                        "requester": { "type": "string" }, "department": { "type": "string" },
                        "state": { "type": "string", "enum": states }, "fields": { "$ref": "#/components/schemas/Fields" },
                        "package": { "type": ["string", "null"] }, "created_at": { "type": "string" },
                        "updated_at": { "type": "string" }, "revision": { "type": "integer" }
                    }
                },
                "Deployment": deployment_schema,
                "Attachment": attachment_schema(),
                "Errors": {
                    "type": "object", "required": ["errors"],
                    "properties": { "errors": { "type": "array", "items": {
                        "type": "object", "required": ["field", "message"],
                        "properties": { "field": { "type": ["string", "null"] }, "message": { "type": "string" } }
                    } } }
                }
            }
        }
    })
}

/// The attachments' two paths: the list and upload, and one file.
fn attachments(id_param: &Value, errors: &Value) -> (Value, Value) {
    let n_param = json!({ "name": "n", "in": "path", "required": true, "schema": { "type": "integer" }, "description": "the attachment's id" });
    let list = json!({
        "get": {
            "operationId": "listAttachments",
            "summary": "The files attached to an RFC, its comments and its testers' verdicts, oldest first",
            "parameters": [id_param],
            "responses": {
                "200": { "description": "Attachments", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Attachment" } } } } },
                "401": errors, "404": errors
            }
        },
        "post": {
            "operationId": "addAttachment",
            "summary": "Attach a file: the body is the file's bytes. Accepted are images (PNG, JPEG, GIF, WebP), PDF, plain text and CSV, and office documents, checked by content; at most [web] max_attachment (10 MB by default)",
            "parameters": [id_param, { "name": "name", "in": "query", "required": true, "schema": { "type": "string", "maxLength": 200 }, "description": "the file's name, e.g. screenshot.png" }],
            "requestBody": { "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
            "responses": {
                "201": { "description": "Attached; Location is the file's address", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Attachment" } } } },
                "401": errors, "403": errors, "404": errors, "413": errors, "422": errors
            }
        }
    });
    let one = json!({
        "get": {
            "operationId": "getAttachment",
            "summary": "The file's bytes, as a download (Content-Disposition: attachment), in the type detected from its content",
            "parameters": [id_param, n_param],
            "responses": {
                "200": { "description": "The file", "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
                "401": errors, "404": errors
            }
        }
    });
    (list, one)
}

fn attachment_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": { "type": "integer" }, "name": { "type": "string" }, "content_type": { "type": "string" },
            "size": { "type": "integer", "description": "bytes" }, "sha256": { "type": "string" },
            "uploaded_by": { "type": "string" }, "created_at": { "type": "string" },
            "comment_id": { "type": ["integer", "null"], "description": "the comment it came with" },
            "verdict": { "type": ["string", "null"], "enum": ["approve", "reject", null], "description": "the tester's verdict it came with" },
            "environment": { "type": ["string", "null"] }
        }
    })
}
