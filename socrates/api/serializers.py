def validated(serializer_class, request, **context) -> dict:
    """The request body, checked by a serializer (a 400 naming each bad field)."""
    serializer = serializer_class(data=request.data, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
