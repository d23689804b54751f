import uuid


def request_id(get_response):
    """Every answer carries an X-Request-Id, as Huawei Cloud's gateways do."""

    def middleware(request):
        request.request_id = uuid.uuid4().hex
        response = get_response(request)
        response["X-Request-Id"] = request.request_id
        return response

    return middleware
