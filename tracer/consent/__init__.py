"""The consent and permissible-purpose gate: purposes, policy, users and the audit trail."""
