output "documents" {
  description = "The policy documents as JSON strings, keyed by name: lambda, iam, networking, storage (for the permissions role), assume (for the agent's role), boundary (for the execution roles) and read (for the read-only role; reads only)."
  value       = local.documents
}
