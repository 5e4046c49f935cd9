"""The project's endpoints on the legacy stack (FastAPI, SQLAlchemy 2, pydantic 2),
for the web benchmark: same SQL, same JWT check, same JSON."""
