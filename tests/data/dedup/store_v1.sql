-- A schema-version-1 geomap store, written by the version-1 store.py (git f0bfd21).
-- Rebuild with: python tests/data/dedup/make_store_v1.py
PRAGMA application_id = 1734700909;
PRAGMA user_version = 1;
BEGIN TRANSACTION;
CREATE TABLE articles (
            article_id TEXT PRIMARY KEY,
            sha256     TEXT NOT NULL,  -- of the UTF-8 text; a new hash means an updated article
            title      TEXT,
            url        TEXT,
            date       TEXT,           -- ISO publication date
            source     TEXT,           -- file path, or "-" for stdin
            added_at   TEXT NOT NULL   -- ISO UTC timestamp
        );
INSERT INTO "articles" VALUES('erbil-1','2083a6cfb1450d209736047f22e72d4d0fdd936ccc86e03d8314854faf8e90c9',NULL,NULL,'2020-01-08',NULL,'2026-11-25T12:08:31+00:00');
INSERT INTO "articles" VALUES('erbil-2','7543e1d262ea6371650067eca6e4f436df07ad257e83d0fe97987ef30c139d61',NULL,'https://example.org/e2',NULL,NULL,'2026-11-25T12:08:31+00:00');
INSERT INTO "articles" VALUES('baghdad-1','9229926eb39c82d29c813bdd94bef7ddc95b6c973f9b02b97888b944c2c4e886',NULL,NULL,NULL,NULL,'2026-11-25T12:08:31+00:00');
INSERT INTO "articles" VALUES('baghdad-2','f0d90ed63018fd475fbc55d0920bca6da1e2aa916d2a9dc6827c820f2dd2ffd5',NULL,NULL,NULL,NULL,'2026-11-25T12:08:31+00:00');
INSERT INTO "articles" VALUES('nowhere-1','dd13869e5bf42c15b3ef0ab797d2a7d45410ae7a17ae519e1a47d3b781300df8',NULL,NULL,NULL,NULL,'2026-11-25T12:08:31+00:00');
CREATE TABLE incidents (
            incident_id    TEXT PRIMARY KEY,
            event_date     TEXT,
            time_precision TEXT,
            event_type     TEXT NOT NULL,
            sub_event_type TEXT NOT NULL,
            actor1         TEXT,
            inter1         INTEGER,
            actor2         TEXT,
            inter2         INTEGER,
            country_code   TEXT,     -- ISO 3166-1 alpha-2 of the location
            admin1_code    TEXT,     -- GeoNames admin-1 key, e.g. IQ.11
            location       TEXT,
            latitude       REAL,
            longitude      REAL,
            geo_precision  INTEGER,
            fatalities     INTEGER,
            injured        INTEGER,
            confidence     REAL NOT NULL,
            evidence       TEXT NOT NULL,
            data           TEXT NOT NULL  -- the whole Incident as JSON; the source of truth
        );
INSERT INTO "incidents" VALUES('v1-erbil-1-1','2020-01-08','day','Explosions/Remote violence','Shelling/artillery/missile attack','Iran',1,NULL,NULL,'IQ','IQ.11','Erbil',36.19257,44.01062,1,0,NULL,0.75,'Iranian missiles struck a base in Erbil.','{"incident_id": "v1-erbil-1-1", "article_id": "erbil-1", "event_type": "Explosions/Remote violence", "sub_event_type": "Shelling/artillery/missile attack", "rule": "weapon:shelling", "trigger": {"start": 0, "end": 7}, "evidence": "Iranian missiles struck a base in Erbil.", "evidence_span": {"start": 0, "end": 40}, "confidence": 0.75, "actor1": {"name": "Iran", "actor_type": "State forces", "inter": 1, "span": null, "origin": null, "country_code": null}, "actor2": null, "location": {"article_id": "erbil-1", "span": {"start": 34, "end": 39}, "text": "Erbil", "place": {"place_id": "geonames:95446", "name": "Erbil", "place_type": "city", "point": {"lat": 36.19257, "lon": 44.01062}, "country_code": "IQ", "admin1": "IQ.11", "population": 0, "source": "geonames"}, "score": 0.9, "via": "name"}, "geo_precision": 1, "location_fallback": false, "date": "2020-01-08", "time_precision": "day", "fatalities": 0, "injured": null, "fatalities_claimed_by": null, "source_title": null, "source_url": null, "notes": []}');
INSERT INTO "incidents" VALUES('v1-baghdad-1-1','2020-01-08','day','Explosions/Remote violence','Shelling/artillery/missile attack',NULL,NULL,NULL,NULL,'IQ','IQ.07','Baghdad',33.34058,44.40088,1,NULL,NULL,0.75,'Rockets hit the Green Zone in Baghdad.','{"incident_id": "v1-baghdad-1-1", "article_id": "baghdad-1", "event_type": "Explosions/Remote violence", "sub_event_type": "Shelling/artillery/missile attack", "rule": "weapon:shelling", "trigger": {"start": 0, "end": 7}, "evidence": "Rockets hit the Green Zone in Baghdad.", "evidence_span": {"start": 0, "end": 38}, "confidence": 0.75, "actor1": null, "actor2": null, "location": {"article_id": "baghdad-1", "span": {"start": 30, "end": 37}, "text": "Baghdad", "place": {"place_id": "geonames:98182", "name": "Baghdad", "place_type": "city", "point": {"lat": 33.34058, "lon": 44.40088}, "country_code": "IQ", "admin1": "IQ.07", "population": 0, "source": "geonames"}, "score": 0.9, "via": "name"}, "geo_precision": 1, "location_fallback": false, "date": "2020-01-08", "time_precision": "day", "fatalities": null, "injured": null, "fatalities_claimed_by": null, "source_title": null, "source_url": null, "notes": []}');
INSERT INTO "incidents" VALUES('v1-baghdad-2-1','2020-01-08','day','Explosions/Remote violence','Shelling/artillery/missile attack',NULL,NULL,NULL,NULL,'IQ','IQ.07','Baghdad',33.34058,44.40088,1,NULL,NULL,0.75,'Two rockets landed in Baghdad''s Green Zone.','{"incident_id": "v1-baghdad-2-1", "article_id": "baghdad-2", "event_type": "Explosions/Remote violence", "sub_event_type": "Shelling/artillery/missile attack", "rule": "weapon:shelling", "trigger": {"start": 0, "end": 7}, "evidence": "Two rockets landed in Baghdad''s Green Zone.", "evidence_span": {"start": 0, "end": 43}, "confidence": 0.75, "actor1": null, "actor2": null, "location": {"article_id": "baghdad-2", "span": {"start": 22, "end": 29}, "text": "Baghdad", "place": {"place_id": "geonames:98182", "name": "Baghdad", "place_type": "city", "point": {"lat": 33.34058, "lon": 44.40088}, "country_code": "IQ", "admin1": "IQ.07", "population": 0, "source": "geonames"}, "score": 0.9, "via": "name"}, "geo_precision": 1, "location_fallback": false, "date": "2020-01-08", "time_precision": "day", "fatalities": null, "injured": null, "fatalities_claimed_by": null, "source_title": null, "source_url": null, "notes": []}');
INSERT INTO "incidents" VALUES('v1-nowhere-1-1',NULL,NULL,'Explosions/Remote violence','Shelling/artillery/missile attack',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,0.75,'Shelling was reported.','{"incident_id": "v1-nowhere-1-1", "article_id": "nowhere-1", "event_type": "Explosions/Remote violence", "sub_event_type": "Shelling/artillery/missile attack", "rule": "weapon:shelling", "trigger": {"start": 0, "end": 7}, "evidence": "Shelling was reported.", "evidence_span": {"start": 0, "end": 22}, "confidence": 0.75, "actor1": null, "actor2": null, "location": null, "geo_precision": null, "location_fallback": false, "date": null, "time_precision": null, "fatalities": null, "injured": null, "fatalities_claimed_by": null, "source_title": null, "source_url": null, "notes": []}');
CREATE TABLE sources (
            incident_id    TEXT NOT NULL REFERENCES incidents (incident_id) ON DELETE CASCADE,
            article_id     TEXT NOT NULL REFERENCES articles (article_id) ON DELETE CASCADE,
            evidence       TEXT NOT NULL,
            evidence_start INTEGER NOT NULL,
            evidence_end   INTEGER NOT NULL,
            PRIMARY KEY (incident_id, article_id)
        );
INSERT INTO "sources" VALUES('v1-erbil-1-1','erbil-1','Iranian missiles struck a base in Erbil.',0,40);
INSERT INTO "sources" VALUES('v1-erbil-1-1','erbil-2','Missiles from Iran hit Erbil.',0,29);
INSERT INTO "sources" VALUES('v1-baghdad-1-1','baghdad-1','Rockets hit the Green Zone in Baghdad.',0,38);
INSERT INTO "sources" VALUES('v1-baghdad-2-1','baghdad-2','Two rockets landed in Baghdad''s Green Zone.',0,43);
INSERT INTO "sources" VALUES('v1-nowhere-1-1','nowhere-1','Shelling was reported.',0,22);
CREATE INDEX sources_by_article ON sources (article_id);
CREATE INDEX incidents_by_date ON incidents (event_date);
COMMIT;
