def test_walk_to_commended(client, world, auth):
    nomination = world.nominate(target="district")
    url = f"/api/v1/nominations/{nomination.id}/actions"
    version = nomination.version
    for user, action, state in (
        ("sec_k1", "submit", "commune_review"),
        ("rev_c1", "approve", "district_review"),
        ("rev_d1", "approve", "commended"),
    ):
        response = client.post(f"{url}/{action}", json={"version": version}, headers=auth(user))
        assert response.status_code == 200, response.json
        assert response.json["state"] == state
        version = response.json["version"]
    assert response.json["recognized_level"] == "district"
