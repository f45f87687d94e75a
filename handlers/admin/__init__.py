"""The admin API (openapi/admin.yaml, served at ``/admin/v1``): thin
handlers named after its operationIds, its bearer authentication
(:mod:`handlers.admin.security`) and who may call what
(:mod:`handlers.admin.auth`)."""
