from rest_framework.renderers import BaseRenderer


class MarkdownRenderer(BaseRenderer):
    """A project's exported specification (``ExportSerializer`` data) as one
    Markdown document: a section per category, a line per key."""

    media_type = "text/markdown"
    format = "markdown"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Errors never reach here: socrates.api.exceptions answers them in JSON.
        project = data["project"]
        lines = [f"# {project['name']}", ""]
        if project.get("description"):
            lines += [project["description"], ""]
        lines += [
            f"_Phase {project['current_phase']}, status {project['status']}; "
            f"exported {data['exported_at']}._",
            "",
        ]
        for group in data["categories"]:
            lines += [f"## {group['category'].replace('_', ' ').capitalize()}", ""]
            for item in group["specifications"]:
                confidence = item["confidence"]
                facts = f"v{item['version']}" + (
                    f", confidence {confidence:.2f}" if confidence is not None else ""
                )
                lines.append(f"- **{item['key']}** ({facts}): {item['value'] or ''}".rstrip())
            lines.append("")
        if not data["categories"]:
            lines += ["_No specification yet._", ""]
        return "\n".join(lines).encode(self.charset)
