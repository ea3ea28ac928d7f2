output "documents" {
  description = "The policy documents as JSON strings, keyed by name: lambda, iam, networking, storage (for the permissions role) and assume (for the agent's role)."
  value       = local.documents
}
