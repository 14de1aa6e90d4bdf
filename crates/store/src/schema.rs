//! Diesel's view of the tables in `migrations/`. Written by hand, kept in step
//! with the SQL; `tests/tests/store.rs` checks every table against the database.

diesel::table! {
    domains (id) {
        id -> BigInt,
        account_host -> Text,
        service_host -> Nullable<Text>,
        state -> Text,
        registrations -> Text,
        name -> Text,
        owner_email -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        invites_by_users -> Bool,
        description -> Text,
        show_domain_blocks -> Text,
    }
}

diesel::table! {
    domain_rules (id) {
        id -> BigInt,
        domain_id -> BigInt,
        position -> Integer,
        text -> Text,
    }
}

diesel::table! {
    domain_hosts (host) {
        host -> Text,
        domain_id -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    accounts (id) {
        id -> BigInt,
        domain_id -> Nullable<BigInt>,
        username -> Text,
        display_name -> Text,
        summary -> Text,
        locked -> Bool,
        discoverable -> Bool,
        private_key_pkcs8 -> Nullable<Binary>,
        public_key_pem -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        bot -> Bool,
        avatar_file -> Nullable<Text>,
        header_file -> Nullable<Text>,
        uri -> Nullable<Text>,
        remote_host -> Nullable<Text>,
        url -> Nullable<Text>,
        inbox_url -> Nullable<Text>,
        shared_inbox_url -> Nullable<Text>,
        followers_url -> Nullable<Text>,
        avatar_remote_url -> Nullable<Text>,
        header_remote_url -> Nullable<Text>,
        fetched_at -> Nullable<Timestamptz>,
        key_id -> Nullable<Text>,
        hide_collections -> Bool,
        moved_to_uri -> Nullable<Text>,
    }
}

diesel::table! {
    users (account_id) {
        account_id -> BigInt,
        domain_id -> BigInt,
        email -> Text,
        password_hash -> Text,
        last_active_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        approved -> Bool,
        signup_reason -> Nullable<Text>,
        locale -> Nullable<Text>,
        default_visibility -> Text,
        default_sensitive -> Bool,
        default_language -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamptz>,
        otp_secret -> Nullable<Text>,
        otp_enabled -> Bool,
        otp_last_step -> Nullable<BigInt>,
        otp_recovery_codes -> Text,
        invite_id -> Nullable<BigInt>,
        role -> Text,
        host_admin -> Bool,
        disabled -> Bool,
    }
}

diesel::table! {
    account_fields (account_id, position) {
        account_id -> BigInt,
        position -> Integer,
        name -> Text,
        value -> Text,
        verified_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    markers (account_id, timeline) {
        account_id -> BigInt,
        timeline -> Text,
        last_read_id -> BigInt,
        version -> Integer,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(domain_hosts -> domains (domain_id));
diesel::joinable!(domain_rules -> domains (domain_id));
diesel::joinable!(accounts -> domains (domain_id));
diesel::joinable!(users -> accounts (account_id));

diesel::table! {
    oauth_applications (id) {
        id -> BigInt,
        domain_id -> BigInt,
        name -> Text,
        website -> Nullable<Text>,
        redirect_uris -> Text,
        scopes -> Text,
        client_id -> Text,
        client_secret_sha256 -> Binary,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    oauth_authorization_codes (code_sha256) {
        code_sha256 -> Binary,
        application_id -> BigInt,
        account_id -> BigInt,
        domain_id -> BigInt,
        redirect_uri -> Text,
        scopes -> Text,
        code_challenge -> Nullable<Text>,
        code_challenge_method -> Nullable<Text>,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    oauth_tokens (id) {
        id -> BigInt,
        token_sha256 -> Binary,
        refresh_sha256 -> Nullable<Binary>,
        application_id -> BigInt,
        domain_id -> BigInt,
        account_id -> Nullable<BigInt>,
        scopes -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(oauth_tokens -> oauth_applications (application_id));

diesel::table! {
    media_attachments (id) {
        id -> BigInt,
        domain_id -> BigInt,
        account_id -> BigInt,
        status_id -> Nullable<BigInt>,
        status_position -> Nullable<SmallInt>,
        #[sql_name = "type"]
        media_type -> Text,
        file_name -> Text,
        content_type -> Text,
        file_size -> BigInt,
        width -> Integer,
        height -> Integer,
        thumbnail_file_name -> Text,
        thumbnail_content_type -> Text,
        thumbnail_width -> Integer,
        thumbnail_height -> Integer,
        description -> Nullable<Text>,
        focus_x -> Nullable<Double>,
        focus_y -> Nullable<Double>,
        blurhash -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        // == media_av == (the four columns below)
        processing -> Text,
        av_meta -> Nullable<Text>,
        processing_attempts -> Integer,
        processing_locked_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    statuses (id) {
        id -> BigInt,
        domain_id -> Nullable<BigInt>,
        account_id -> BigInt,
        uri -> Text,
        text -> Text,
        content -> Text,
        spoiler_text -> Text,
        sensitive -> Bool,
        visibility -> Text,
        language -> Nullable<Text>,
        in_reply_to_id -> Nullable<BigInt>,
        in_reply_to_account_id -> Nullable<BigInt>,
        reblog_of_id -> Nullable<BigInt>,
        application_id -> Nullable<BigInt>,
        created_at -> Timestamptz,
        edited_at -> Nullable<Timestamptz>,
        url -> Nullable<Text>,
    }
}

diesel::table! {
    status_receipts (domain_id, status_id) {
        domain_id -> BigInt,
        status_id -> BigInt,
    }
}

diesel::table! {
    known_accounts (domain_id, account_id) {
        domain_id -> BigInt,
        account_id -> BigInt,
    }
}

diesel::table! {
    mentions (status_id, account_id) {
        status_id -> BigInt,
        account_id -> BigInt,
    }
}

diesel::table! {
    status_tags (status_id, name) {
        status_id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    status_edits (id) {
        id -> BigInt,
        status_id -> BigInt,
        text -> Text,
        content -> Text,
        spoiler_text -> Text,
        sensitive -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (account_id, key) {
        account_id -> BigInt,
        key -> Text,
        status_id -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    follows (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        state -> Text,
        show_reblogs -> Bool,
        notify -> Bool,
        created_at -> Timestamptz,
        uri -> Nullable<Text>,
    }
}

diesel::table! {
    blocks (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    mutes (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        hide_notifications -> Bool,
        expires_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    favourites (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    bookmarks (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    status_pins (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        account_id -> BigInt,
        from_account_id -> BigInt,
        #[sql_name = "type"]
        kind -> Text,
        status_id -> Nullable<BigInt>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    delivery_activities (id) {
        id -> BigInt,
        account_id -> BigInt,
        activity_uri -> Text,
        key_id -> Text,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        activity_id -> BigInt,
        inbox -> Text,
        host -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamptz,
        lease_until -> Nullable<Timestamptz>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    delivery_hosts (host) {
        host -> Text,
        consecutive_failures -> Integer,
        unavailable_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        last_success_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    gone_inboxes (inbox) {
        inbox -> Text,
        gone_at -> Timestamptz,
    }
}

diesel::table! {
    remote_attachments (status_id, position) {
        status_id -> BigInt,
        position -> SmallInt,
        id -> BigInt,
        url -> Text,
        media_type -> Nullable<Text>,
        description -> Nullable<Text>,
        blurhash -> Nullable<Text>,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
    }
}

diesel::table! {
    inbound_activities (id) {
        id -> BigInt,
        domain_id -> BigInt,
        inbox_account_id -> Nullable<BigInt>,
        activity_uri -> Text,
        actor_uri -> Text,
        body -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamptz,
        lease_until -> Nullable<Timestamptz>,
        outcome -> Nullable<Text>,
        received_at -> Timestamptz,
        processed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        domain_id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        status_ids -> Array<BigInt>,
        comment -> Text,
        uri -> Nullable<Text>,
        created_at -> Timestamptz,
        category -> Text,
        rule_ids -> Array<BigInt>,
        forward -> Bool,
        forwarded_at -> Nullable<Timestamptz>,
        assigned_account_id -> Nullable<BigInt>,
        action_taken_at -> Nullable<Timestamptz>,
        action_taken_by_account_id -> Nullable<BigInt>,
        action_taken -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    domain_blocks (id) {
        id -> BigInt,
        domain_id -> Nullable<BigInt>,
        host -> Text,
        created_at -> Timestamptz,
        severity -> Text,
        reject_media -> Bool,
        reject_reports -> Bool,
        private_comment -> Text,
        public_comment -> Text,
        obfuscate -> Bool,
    }
}

diesel::joinable!(deliveries -> delivery_activities (activity_id));
diesel::joinable!(status_receipts -> statuses (status_id));
diesel::joinable!(known_accounts -> accounts (account_id));
diesel::joinable!(statuses -> accounts (account_id));

diesel::table! {
    web_sessions (id) {
        id -> BigInt,
        domain_id -> BigInt,
        account_id -> BigInt,
        token_sha256 -> Bytea,
        csrf -> Text,
        user_agent -> Text,
        ip -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
    }
}

diesel::table! {
    user_tokens (id) {
        id -> BigInt,
        domain_id -> BigInt,
        account_id -> BigInt,
        purpose -> Text,
        token_sha256 -> Bytea,
        email -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    invites (id) {
        id -> BigInt,
        domain_id -> BigInt,
        creator_id -> BigInt,
        code -> Text,
        max_uses -> Nullable<Integer>,
        uses -> Integer,
        expires_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    domains,
    domain_hosts,
    accounts,
    users,
    oauth_applications,
    oauth_authorization_codes,
    oauth_tokens,
    media_attachments,
    statuses,
    status_receipts,
    known_accounts,
    mentions,
    status_tags,
    status_edits,
    idempotency_keys,
    follows,
    blocks,
    mutes,
    favourites,
    bookmarks,
    status_pins,
    notifications,
    account_fields,
    markers,
    delivery_activities,
    deliveries,
    delivery_hosts,
    gone_inboxes,
    remote_attachments,
    inbound_activities,
    reports,
    domain_blocks,
    web_sessions,
    user_tokens,
    invites,
    domain_rules,
    account_moderation,
    admin_actions,
    domain_allows,
    email_domain_blocks,
    ip_blocks,
    account_domain_blocks,
    filters,
    filter_keywords,
    filter_statuses,
);

// The mail outbox (migration 2026-12-04-000100_mail_outbox), kept as one block.
diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        domain_id -> BigInt,
        to_address -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Nullable<Text>,
        created_at -> Timestamptz,
        attempts -> Integer,
        next_attempt_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        given_up_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
    }
}
diesel::joinable!(mail_outbox -> domains (domain_id));
diesel::allow_tables_to_appear_in_same_query!(mail_outbox, domains);

// Administration and moderation (migration 2026-12-05-000100_moderation), kept as one block.
diesel::table! {
    account_moderation (domain_id, account_id) {
        domain_id -> BigInt,
        account_id -> BigInt,
        suspended_at -> Nullable<Timestamptz>,
        silenced_at -> Nullable<Timestamptz>,
        sensitized_at -> Nullable<Timestamptz>,
        note -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    admin_actions (id) {
        id -> BigInt,
        domain_id -> Nullable<BigInt>,
        account_id -> Nullable<BigInt>,
        actor_label -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<BigInt>,
        target_label -> Text,
        detail -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    domain_allows (id) {
        id -> BigInt,
        domain_id -> Nullable<BigInt>,
        host -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    email_domain_blocks (id) {
        id -> BigInt,
        domain_id -> Nullable<BigInt>,
        email_domain -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ip_blocks (id) {
        id -> BigInt,
        domain_id -> Nullable<BigInt>,
        ip -> Text,
        severity -> Text,
        comment -> Text,
        expires_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    account_domain_blocks (id) {
        id -> BigInt,
        account_id -> BigInt,
        host -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    filters (id) {
        id -> BigInt,
        account_id -> BigInt,
        title -> Text,
        context -> Array<Text>,
        filter_action -> Text,
        expires_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    filter_keywords (id) {
        id -> BigInt,
        filter_id -> BigInt,
        keyword -> Text,
        whole_word -> Bool,
    }
}

diesel::table! {
    filter_statuses (id) {
        id -> BigInt,
        filter_id -> BigInt,
        status_id -> BigInt,
    }
}

diesel::joinable!(account_moderation -> domains (domain_id));
diesel::joinable!(account_moderation -> accounts (account_id));
diesel::joinable!(account_domain_blocks -> accounts (account_id));
diesel::joinable!(filters -> accounts (account_id));
diesel::joinable!(filter_keywords -> filters (filter_id));
diesel::joinable!(filter_statuses -> filters (filter_id));
diesel::joinable!(filter_statuses -> statuses (status_id));

// == provider ==
// The provisioning API (migration 2026-12-05-000203_provider).
diesel::table! {
    provider_keys (id) {
        id -> BigInt,
        name -> Text,
        key_sha256 -> Binary,
        read_only -> Bool,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    tenant_provisioning (domain_id) {
        domain_id -> BigInt,
        plan -> Nullable<Text>,
        delete_after -> Nullable<Timestamptz>,
        state_before_delete -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(tenant_provisioning -> domains (domain_id));
diesel::allow_tables_to_appear_in_same_query!(tenant_provisioning, domains);
diesel::allow_tables_to_appear_in_same_query!(tenant_provisioning, domain_hosts);
// == claim ==
diesel::table! {
    domain_claims (id) {
        id -> BigInt,
        status_key -> Text,
        challenge -> Text,
        account_host -> Text,
        service_host -> Nullable<Text>,
        email -> Text,
        username -> Text,
        state -> Text,
        domain_id -> Nullable<BigInt>,
        checks -> Integer,
        last_problem -> Nullable<Text>,
        last_checked_at -> Nullable<Timestamptz>,
        next_check_at -> Timestamptz,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        verified_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(domain_claims -> domains (domain_id));
diesel::allow_tables_to_appear_in_same_query!(domain_claims, domains);
// == modfed ==

diesel::table! {
    account_tombstones (account_id) {
        account_id -> BigInt,
        domain_id -> BigInt,
        deleted_at -> Timestamptz,
    }
}

diesel::table! {
    limited_federation (domain_id) {
        domain_id -> BigInt,
        enabled_at -> Timestamptz,
    }
}

diesel::joinable!(account_tombstones -> accounts (account_id));
diesel::joinable!(limited_federation -> domains (domain_id));
diesel::allow_tables_to_appear_in_same_query!(account_tombstones, accounts);

// == webhooks ==

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        secret -> Text,
        events -> Array<Text>,
        enabled -> Bool,
        description -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> BigInt,
        event_type -> Text,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_id -> BigInt,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamptz,
        lease_until -> Nullable<Timestamptz>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    tenant_dns_ready (host) {
        host -> Text,
        ready_at -> Timestamptz,
    }
}

diesel::table! {
    quota_exceeded_notices (domain_id, quota, day) {
        domain_id -> BigInt,
        quota -> Text,
        day -> Date,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_events, webhook_deliveries);

// == quotas == Plans, quotas and usage counters (migration 2026-12-05-000204_quotas).
diesel::table! {
    plans (id) {
        id -> BigInt,
        name -> Text,
        max_accounts -> Nullable<BigInt>,
        media_storage_bytes -> Nullable<BigInt>,
        posts_per_day -> Nullable<BigInt>,
        remote_follows -> Nullable<BigInt>,
        custom_emoji -> Nullable<BigInt>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    domain_plans (domain_id) {
        domain_id -> BigInt,
        plan_id -> BigInt,
    }
}

diesel::table! {
    tenant_storage (domain_id) {
        domain_id -> BigInt,
        bytes -> BigInt,
    }
}

diesel::table! {
    profile_image_bytes (account_id) {
        account_id -> BigInt,
        domain_id -> BigInt,
        avatar -> BigInt,
        header -> BigInt,
    }
}

diesel::table! {
    tenant_post_counts (domain_id, day) {
        domain_id -> BigInt,
        day -> Date,
        posts -> BigInt,
    }
}

diesel::table! {
    tenant_traffic (domain_id, hour) {
        domain_id -> BigInt,
        hour -> Timestamptz,
        deliveries -> BigInt,
        inbound -> BigInt,
    }
}

diesel::joinable!(domain_plans -> domains (domain_id));
diesel::joinable!(domain_plans -> plans (plan_id));
diesel::allow_tables_to_appear_in_same_query!(
    plans,
    domain_plans,
    domains,
    tenant_storage,
    tenant_post_counts,
    tenant_traffic,
    profile_image_bytes
);
// == lead == weekly_logins (migration 2026-12-05-000410_weekly_logins)
diesel::table! {
    weekly_logins (domain_id, week, account_id) {
        domain_id -> BigInt,
        week -> Date,
        account_id -> BigInt,
    }
}
// == quotes == status_quotes and statuses.quote_policy (migration 2026-12-05-000411_quotes)
diesel::table! {
    status_quotes (status_id) {
        status_id -> BigInt,
        quoted_status_id -> Nullable<BigInt>,
        quoted_uri -> Text,
        state -> Text,
        created_at -> Timestamptz,
    }
}
diesel::table! {
    /// `statuses.quote_policy`, declared apart from `statuses` (the same table).
    #[sql_name = "statuses"]
    status_quote_policies (id) {
        id -> BigInt,
        quote_policy -> Nullable<Text>,
    }
}

// == push ==
diesel::table! {
    push_vapid_keys (domain_id) {
        domain_id -> BigInt,
        private_key -> Binary,
        public_key -> Binary,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    push_subscriptions (id) {
        id -> BigInt,
        domain_id -> BigInt,
        account_id -> BigInt,
        token_id -> BigInt,
        access_token -> Text,
        endpoint -> Text,
        key_p256dh -> Binary,
        key_auth -> Binary,
        alerts -> Text,
        policy -> Text,
        standard -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    push_deliveries (id) {
        id -> BigInt,
        domain_id -> BigInt,
        subscription_id -> BigInt,
        notification_id -> BigInt,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamptz,
        lease_until -> Nullable<Timestamptz>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(push_deliveries -> push_subscriptions (subscription_id));
diesel::allow_tables_to_appear_in_same_query!(push_vapid_keys, push_subscriptions, push_deliveries);
// == polls ==
diesel::table! {
    scheduled_statuses (id) {
        id -> BigInt,
        domain_id -> BigInt,
        account_id -> BigInt,
        scheduled_at -> Timestamptz,
        params -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    scheduled_status_media (media_id) {
        media_id -> BigInt,
        scheduled_status_id -> BigInt,
        domain_id -> BigInt,
        position -> SmallInt,
    }
}

diesel::table! {
    polls (id) {
        id -> BigInt,
        status_id -> BigInt,
        domain_id -> Nullable<BigInt>,
        account_id -> BigInt,
        options -> Array<Text>,
        tallies -> Array<BigInt>,
        multiple -> Bool,
        hide_totals -> Bool,
        votes_count -> BigInt,
        voters_count -> BigInt,
        expires_at -> Nullable<Timestamptz>,
        ended_at -> Nullable<Timestamptz>,
        federate_after -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    poll_votes (id) {
        id -> BigInt,
        poll_id -> BigInt,
        account_id -> BigInt,
        choice -> Integer,
        uri -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(scheduled_status_media -> scheduled_statuses (scheduled_status_id));
diesel::joinable!(poll_votes -> polls (poll_id));
diesel::allow_tables_to_appear_in_same_query!(scheduled_statuses, scheduled_status_media, polls, poll_votes);
diesel::allow_tables_to_appear_in_same_query!(scheduled_status_media, media_attachments);
diesel::allow_tables_to_appear_in_same_query!(polls, statuses);
diesel::allow_tables_to_appear_in_same_query!(poll_votes, accounts);
// == social ==
// Endorsements, account notes, suggestions, profile settings, conversations
// (migration 2026-12-05-000406_social).
diesel::table! {
    account_endorsements (id) {
        id -> BigInt,
        domain_id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    account_notes (account_id, target_account_id) {
        domain_id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        comment -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    suggestion_dismissals (account_id, target_account_id) {
        domain_id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    account_settings (account_id) {
        account_id -> BigInt,
        domain_id -> BigInt,
        indexable -> Nullable<Bool>,
        attribution_domains -> Array<Text>,
        quote_policy -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    conversations (id) {
        id -> BigInt,
        domain_id -> BigInt,
        account_id -> BigInt,
        root_status_id -> BigInt,
        participant_ids -> Array<BigInt>,
        status_ids -> Array<BigInt>,
        last_status_id -> BigInt,
        unread -> Bool,
    }
}

diesel::table! {
    conversation_mutes (account_id, root_status_id) {
        domain_id -> BigInt,
        account_id -> BigInt,
        root_status_id -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    account_endorsements,
    account_notes,
    suggestion_dismissals,
    account_settings,
    conversations,
    conversation_mutes
);
diesel::allow_tables_to_appear_in_same_query!(account_endorsements, accounts);
diesel::allow_tables_to_appear_in_same_query!(account_settings, accounts);
// == lists ==
diesel::table! {
    lists (id) {
        id -> BigInt,
        domain_id -> BigInt,
        account_id -> BigInt,
        title -> Text,
        replies_policy -> Text,
        exclusive -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    list_accounts (id) {
        id -> BigInt,
        domain_id -> BigInt,
        list_id -> BigInt,
        account_id -> BigInt,
        follow_id -> BigInt,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    tag_follows (id) {
        id -> BigInt,
        domain_id -> BigInt,
        account_id -> BigInt,
        tag_id -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    featured_tags (id) {
        id -> BigInt,
        domain_id -> BigInt,
        account_id -> BigInt,
        tag_id -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(list_accounts -> lists (list_id));
diesel::joinable!(tag_follows -> tags (tag_id));
diesel::joinable!(featured_tags -> tags (tag_id));
diesel::allow_tables_to_appear_in_same_query!(lists, list_accounts, tags, tag_follows, featured_tags, follows);
// == notification_policy ==
diesel::table! {
    notification_policies (account_id) {
        account_id -> BigInt,
        domain_id -> BigInt,
        for_not_following -> Text,
        for_not_followers -> Text,
        for_new_accounts -> Text,
        for_private_mentions -> Text,
        for_limited_accounts -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    notification_requests (id) {
        id -> BigInt,
        domain_id -> BigInt,
        account_id -> BigInt,
        from_account_id -> BigInt,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    filtered_notifications (notification_id) {
        notification_id -> BigInt,
        domain_id -> BigInt,
        request_id -> BigInt,
    }
}

diesel::table! {
    notification_permissions (account_id, from_account_id) {
        account_id -> BigInt,
        from_account_id -> BigInt,
        domain_id -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(filtered_notifications -> notification_requests (request_id));
diesel::joinable!(filtered_notifications -> notifications (notification_id));
diesel::allow_tables_to_appear_in_same_query!(
    notification_policies,
    notification_requests,
    filtered_notifications,
    notification_permissions,
    notifications
);

// == media_av_cards ==
diesel::table! {
    preview_cards (id) {
        id -> BigInt,
        url -> Text,
        fetched -> Bool,
        card_type -> Text,
        title -> Text,
        description -> Text,
        image_url -> Nullable<Text>,
        image_description -> Text,
        width -> Integer,
        height -> Integer,
        author_name -> Text,
        author_url -> Text,
        provider_name -> Text,
        provider_url -> Text,
        language -> Nullable<Text>,
        published_at -> Nullable<Timestamptz>,
        fetched_at -> Timestamptz,
    }
}

diesel::table! {
    status_cards (status_id) {
        status_id -> BigInt,
        url -> Text,
        card_id -> Nullable<BigInt>,
        pending -> Bool,
        attempts -> Integer,
        locked_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(status_cards -> preview_cards (card_id));
diesel::allow_tables_to_appear_in_same_query!(preview_cards, status_cards);

// == announce ==
diesel::table! {
    announcements (id) {
        id -> BigInt,
        domain_id -> BigInt,
        text -> Text,
        starts_at -> Nullable<Timestamptz>,
        ends_at -> Nullable<Timestamptz>,
        all_day -> Bool,
        published -> Bool,
        published_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    announcement_dismissals (announcement_id, account_id) {
        announcement_id -> BigInt,
        account_id -> BigInt,
        domain_id -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    announcement_reactions (announcement_id, account_id, name) {
        announcement_id -> BigInt,
        account_id -> BigInt,
        domain_id -> BigInt,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    tenant_trends (domain_id) {
        domain_id -> BigInt,
        enabled -> Bool,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(announcement_dismissals -> announcements (announcement_id));
diesel::joinable!(announcement_reactions -> announcements (announcement_id));
diesel::allow_tables_to_appear_in_same_query!(announcements, announcement_dismissals, announcement_reactions);

// == quote_federation == status_quotes.request_uri / authorization_uri (migration 2026-12-05-000501_quote_federation)
diesel::table! {
    /// The federation columns of `status_quotes`, declared apart from it (the same table).
    #[sql_name = "status_quotes"]
    status_quote_links (status_id) {
        status_id -> BigInt,
        request_uri -> Nullable<Text>,
        authorization_uri -> Nullable<Text>,
    }
}

// == apitail == users.created_by_application_id and terms_of_service (migration 2026-12-05-000502_apitail)
diesel::table! {
    /// `users.created_by_application_id`, declared apart from `users` (the same table).
    #[sql_name = "users"]
    user_sign_up_apps (account_id) {
        account_id -> BigInt,
        domain_id -> BigInt,
        created_by_application_id -> Nullable<BigInt>,
    }
}
diesel::table! {
    terms_of_service (id) {
        id -> BigInt,
        domain_id -> BigInt,
        effective_date -> Date,
        text -> Text,
        created_at -> Timestamptz,
    }
}
// == media_files ==
// Files to remove from the media store, queued by triggers (migration 2026-12-05-000504_media_files).
diesel::table! {
    media_file_removals (id) {
        id -> BigInt,
        domain_id -> BigInt,
        file_name -> Text,
        queued_at -> Timestamptz,
        attempts -> Integer,
        not_before -> Timestamptz,
    }
}
