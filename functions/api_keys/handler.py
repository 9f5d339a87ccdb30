"""The api_keys function: API keys, APIs, the organizations a credential may access, and the OpenAPI document with
its Swagger UI."""

from api_keys import apis, docs, keys, members, organizations
from keytally.web.app import create_app, http_handler

app = create_app()
app.include_router(keys.router)
app.include_router(apis.router)
app.include_router(organizations.router)
app.include_router(members.router)
docs.register(app)
lambda_handler = http_handler(app)
