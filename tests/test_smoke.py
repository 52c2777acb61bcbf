from renkei.sharing.visibility import readable_topics


def test_closed_community_topic_reaches_members_only(world, post):
    topic = post(world.alice, world.isac, "ISAC だけの話")
    assert topic in readable_topics(world.bob)
    assert topic in readable_topics(world.alice2)
    assert topic not in readable_topics(world.charlie)
    assert topic not in readable_topics(world.commander)
