variable "hosted_zone_id" {
  description = "The zone the scope's record goes in: HOSTED_PUBLIC_ZONE_ID for public scopes, HOSTED_PRIVATE_ZONE_ID for private ones."
  type        = string
}
