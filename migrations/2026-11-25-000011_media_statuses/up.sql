-- Media belong to the status they were attached to, and go with it.
ALTER TABLE media_attachments
    ADD CONSTRAINT media_attachments_status_fk FOREIGN KEY (status_id) REFERENCES statuses (id) ON DELETE CASCADE;
