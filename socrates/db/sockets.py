import select


def has_unread(connection) -> bool:
    """Whether the server has sent anything not yet read on a psycopg2
    connection's socket (or closed it). poll(), not select(): select() cannot
    watch a descriptor numbered 1024 or above."""
    poller = select.poll()
    poller.register(connection, select.POLLIN)
    return bool(poller.poll(0))
