-- Every publish and rollback of a workflow version, newest last: the active version of a workflow
-- is the version of its latest row. Kept forever, as the organisation's change history.
CREATE TABLE workflow_publications (
  id               bigserial PRIMARY KEY,
  organization_id  text NOT NULL,
  workflow_id      text NOT NULL,
  version          integer NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('publish', 'rollback')),
  published_by     text NOT NULL,
  published_at     timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (organization_id, workflow_id, version) REFERENCES workflow_versions (organization_id, workflow_id, version)
);
CREATE INDEX workflow_publications_latest_idx ON workflow_publications (organization_id, workflow_id, id DESC);
