def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_home_page_renders_for_anonymous(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Create an account" in response.data
