//! Every template of the web interface, compiled into the binary. Names
//! ending in `.html` are auto-escaped; content that is already safe HTML
//! (sanitized post bodies) is marked `| safe` in the template, nowhere else.

use crate::error::WebError;

/// (name, source) of every template; a new page adds its line here.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("profile.html", include_str!("../../templates/profile.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("about.html", include_str!("../../templates/about.html")),
    ("partials/about.html", include_str!("../../templates/partials/about.html")),
    ("timeline.html", include_str!("../../templates/timeline.html")),
    ("home_timeline.html", include_str!("../../templates/home_timeline.html")),
    ("notifications.html", include_str!("../../templates/notifications.html")),
    ("status.html", include_str!("../../templates/status.html")),
    ("status_macros.html", include_str!("../../templates/status_macros.html")),
    ("authorize.html", include_str!("../../templates/authorize.html")),
    ("authorize_code.html", include_str!("../../templates/authorize_code.html")),
    ("no_tenant.html", include_str!("../../templates/no_tenant.html")),
    ("claim/layout.html", include_str!("../../templates/claim/layout.html")),
    ("claim/form.html", include_str!("../../templates/claim/form.html")),
    ("claim/status.html", include_str!("../../templates/claim/status.html")),
    ("auth/sign_in.html", include_str!("../../templates/auth/sign_in.html")),
    ("auth/sign_up.html", include_str!("../../templates/auth/sign_up.html")),
    ("auth/message.html", include_str!("../../templates/auth/message.html")),
    ("auth/email_request.html", include_str!("../../templates/auth/email_request.html")),
    ("auth/password_edit.html", include_str!("../../templates/auth/password_edit.html")),
    ("auth/two_factor.html", include_str!("../../templates/auth/two_factor.html")),
    ("settings/password.html", include_str!("../../templates/settings/password.html")),
    ("settings/email.html", include_str!("../../templates/settings/email.html")),
    ("settings/two_factor.html", include_str!("../../templates/settings/two_factor.html")),
    ("invites.html", include_str!("../../templates/invites.html")),
    ("partials/compose.html", include_str!("../../templates/partials/compose.html")),
    ("statuses/new.html", include_str!("../../templates/statuses/new.html")),
    ("statuses/edit.html", include_str!("../../templates/statuses/edit.html")),
    ("partials/relationship.html", include_str!("../../templates/partials/relationship.html")),
    ("partials/account_card.html", include_str!("../../templates/partials/account_card.html")),
    ("settings/nav.html", include_str!("../../templates/settings/nav.html")),
    ("admin/nav.html", include_str!("../../templates/admin/nav.html")),
    ("admin/dashboard.html", include_str!("../../templates/admin/dashboard.html")),
    ("admin/settings.html", include_str!("../../templates/admin/settings.html")),
    ("admin/rules.html", include_str!("../../templates/admin/rules.html")),
    ("admin/announcements.html", include_str!("../../templates/admin/announcements.html")),
    ("admin/trends.html", include_str!("../../templates/admin/trends.html")),
    ("admin/terms.html", include_str!("../../templates/admin/terms.html")),
    ("admin/invites.html", include_str!("../../templates/admin/invites.html")),
    ("admin/host_tenants.html", include_str!("../../templates/admin/host_tenants.html")),
    ("admin/host_tenant.html", include_str!("../../templates/admin/host_tenant.html")),
    ("admin/host_tenant_remove.html", include_str!("../../templates/admin/host_tenant_remove.html")),
    ("admin/host_queue.html", include_str!("../../templates/admin/host_queue.html")),
    ("admin/host_moderation.html", include_str!("../../templates/admin/host_moderation.html")),
    ("admin/accounts.html", include_str!("../../templates/admin/accounts.html")),
    ("admin/account.html", include_str!("../../templates/admin/account.html")),
    ("admin/action_logs.html", include_str!("../../templates/admin/action_logs.html")),
    ("admin/domain_blocks.html", include_str!("../../templates/admin/domain_blocks.html")),
    ("admin/domain_block_fields.html", include_str!("../../templates/admin/domain_block_fields.html")),
    ("admin/domain_block_edit.html", include_str!("../../templates/admin/domain_block_edit.html")),
    ("settings/profile.html", include_str!("../../templates/settings/profile.html")),
    ("settings/privacy.html", include_str!("../../templates/settings/privacy.html")),
    ("settings/applications.html", include_str!("../../templates/settings/applications.html")),
    ("settings/sessions.html", include_str!("../../templates/settings/sessions.html")),
    ("settings/filters.html", include_str!("../../templates/settings/filters.html")),
    ("settings/filter.html", include_str!("../../templates/settings/filter.html")),
    ("settings/filter_status.html", include_str!("../../templates/settings/filter_status.html")),
    ("settings/filter_form.html", include_str!("../../templates/settings/filter_form.html")),
    ("settings/safety_lists.html", include_str!("../../templates/settings/safety_lists.html")),
    ("settings/export.html", include_str!("../../templates/settings/export.html")),
    ("settings/import.html", include_str!("../../templates/settings/import.html")),
    ("settings/import_done.html", include_str!("../../templates/settings/import_done.html")),
    ("social/remote_follow.html", include_str!("../../templates/social/remote_follow.html")),
    ("social/authorize_interaction.html", include_str!("../../templates/social/authorize_interaction.html")),
    ("social/follow_requests.html", include_str!("../../templates/social/follow_requests.html")),
    ("social/search.html", include_str!("../../templates/social/search.html")),
    ("social/report.html", include_str!("../../templates/social/report.html")),
    ("social/report_sent.html", include_str!("../../templates/social/report_sent.html")),
    ("admin/reports.html", include_str!("../../templates/admin/reports.html")),
    ("admin/report.html", include_str!("../../templates/admin/report.html")),
    ("admin/on_tenant.html", include_str!("../../templates/admin/on_tenant.html")),
];

pub struct Templates(tera::Tera);

impl Templates {
    pub fn load() -> Result<Self, WebError> {
        let mut tera = tera::Tera::default();
        tera.add_raw_templates(TEMPLATES.to_vec()).map_err(|e| WebError::Internal(format!("templates: {e:?}")))?;
        Ok(Templates(tera))
    }

    pub fn render(&self, name: &str, context: &tera::Context) -> Result<String, WebError> {
        let mut context = context.clone();
        context.insert("css_url", super::assets::stylesheet_url());
        context.insert("js_url", super::assets::script_url());
        // The letter of the site's mark in the top bar.
        let initial = context
            .get("site_name")
            .and_then(|name| name.as_str())
            .and_then(|name| name.chars().find(|c| c.is_alphanumeric()))
            .map(|c| c.to_uppercase().to_string())
            .unwrap_or_else(|| "K".into());
        context.insert("site_initial", &initial);
        self.0.render(name, &context).map_err(|e| WebError::Internal(format!("template {name}: {e:?}")))
    }
}
