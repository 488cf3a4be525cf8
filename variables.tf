# Whole numbers within a range are checked as `max(low, min(high, floor(x))) == x`: true only when x
# has no fraction and lies in [low, high].

################################################################################
# General
################################################################################

variable "name" {
  description = "Name of the function, its execution role, security group and log group (`/aws/lambda/<name>`)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,48}$", var.name))
    error_message = "name must be 1 to 48 letters, digits, hyphens or underscores (it names the function, role and, with a suffix, the EventBridge rule, which allow 64)."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Function code
################################################################################

variable "s3_bucket" {
  description = "Bucket holding `function.zip` (the DBA team's release bucket)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.s3_bucket))
    error_message = "s3_bucket must be an S3 bucket name (3 to 63 lowercase letters, digits, dots or hyphens)."
  }
}

variable "s3_key" {
  description = "Key of `function.zip` in `s3_bucket`, for example `mysql-password-rotation/1.4.0/function.zip`."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.s3_key) > 0 && !startswith(var.s3_key, "/")
    error_message = "s3_key must be a non-empty object key that does not start with \"/\"."
  }
}

variable "s3_object_version" {
  description = "Version ID of the `function.zip` object, when the bucket is versioned and the version should be pinned."
  type        = string
  default     = null
}

variable "source_code_hash" {
  description = "Base64 SHA-256 of `function.zip`, as printed by the release script. Required: after every apply the module checks it against the `code_sha256` Lambda reports, so code that is not the released zip fails the apply; a change redeploys the function."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9+/]{43}=$", var.source_code_hash))
    error_message = "source_code_hash must be a base64-encoded SHA-256 (44 characters ending in \"=\"), as printed by the release script."
  }
}

variable "layers" {
  description = "ARNs of Lambda layers to attach, for example one holding a CA bundle for `db_tls_ca_file`."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "code_signing_config_arn" {
  description = "ARN of an AWS Signer code signing configuration for the function (its policy should say `Enforce`). Give this or `code_signing_profile_version_arns`, not both; with neither, the code is not signature-checked (`source_code_hash` still is)."
  type        = string
  default     = null

  validation {
    condition     = var.code_signing_config_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]{17}$", var.code_signing_config_arn))
    error_message = "code_signing_config_arn must be a Lambda code signing configuration ARN such as arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-0123456789abcdef0."
  }

  validation {
    condition     = var.code_signing_config_arn == null || length(var.code_signing_profile_version_arns) == 0
    error_message = "Give code_signing_config_arn or code_signing_profile_version_arns, not both."
  }
}

variable "code_signing_profile_version_arns" {
  description = "AWS Signer signing profile version ARNs (the DBA release pipeline's); the module then creates a code signing configuration that rejects (`Enforce`) code not signed by one of them."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.code_signing_profile_version_arns : can(regex("^arn:aws[a-z-]*:signer:[a-z0-9-]+:[0-9]{12}:/signing-profiles/[A-Za-z0-9_]{2,64}/[A-Za-z0-9]{10}$", arn))])
    error_message = "code_signing_profile_version_arns must hold signing profile version ARNs such as arn:aws:signer:eu-west-1:111122223333:/signing-profiles/DbaReleases/a1b2c3d4e5."
  }
}

################################################################################
# Function runtime
################################################################################

variable "timeout" {
  description = "Function timeout in seconds; one step must finish on every instance within it."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = max(10, min(900, floor(var.timeout))) == var.timeout
    error_message = "timeout must be a whole number of seconds from 10 to 900."
  }

  validation {
    condition     = var.timeout * 1000 > max(var.replication_wait_ms, var.secret_replication_wait_ms)
    error_message = "timeout (${var.timeout} s) must be longer than replication_wait_ms and secret_replication_wait_ms, or a step would time out while it waits for replication."
  }
}

variable "memory_size" {
  description = "Function memory in MB."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = max(128, min(10240, floor(var.memory_size))) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency of the function. At least 2: steps of different rotations (and manual actions) run at the same time."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = max(2, floor(var.reserved_concurrent_executions)) == var.reserved_concurrent_executions
    error_message = "reserved_concurrent_executions must be a whole number of at least 2; with 1, a rotation step can be throttled by another rotation's step."
  }
}

################################################################################
# Network
################################################################################

variable "vpc_id" {
  description = "VPC of the function's security group."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0123456789abcdef0."
  }
}

variable "subnet_ids" {
  description = "Subnets the function runs in; they must reach the databases and the API endpoints."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must list at least one subnet."
  }

  validation {
    condition     = alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "subnet_ids must hold subnet IDs such as subnet-0123456789abcdef0."
  }
}

variable "api_endpoint_cidr_blocks" {
  description = "CIDRs of the HTTPS (443) API endpoints the function calls: Secrets Manager and, without a proxy, RDS (VPC endpoints or a NAT's `0.0.0.0/0`)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.api_endpoint_cidr_blocks) > 0 && alltrue([for cidr in var.api_endpoint_cidr_blocks : can(cidrhost(cidr, 0))])
    error_message = "api_endpoint_cidr_blocks must list at least one CIDR block such as 10.0.0.0/16."
  }
}

variable "database_cidr_blocks" {
  description = "CIDRs of the database instances."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.database_cidr_blocks) > 0 && alltrue([for cidr in var.database_cidr_blocks : can(cidrhost(cidr, 0))])
    error_message = "database_cidr_blocks must list at least one CIDR block such as 10.0.16.0/20."
  }
}

variable "database_port" {
  description = "Port of the database instances."
  type        = number
  default     = 3306
  nullable    = false

  validation {
    condition     = max(1, min(65535, floor(var.database_port))) == var.database_port
    error_message = "database_port must be a port number from 1 to 65535."
  }
}

variable "rds_https_proxy" {
  description = "HTTPS proxy for the RDS API alone (`RDS_HTTPS_PROXY`): its URL and CIDRs. The security group then allows the proxy's port to these CIDRs for the RDS API."
  type = object({
    url         = string
    cidr_blocks = list(string)
  })
  default = null

  validation {
    condition     = var.rds_https_proxy == null || can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$", var.rds_https_proxy.url))
    error_message = "rds_https_proxy.url must be a URL such as http://proxy.internal:3128."
  }

  validation {
    condition     = var.rds_https_proxy == null || try(length(var.rds_https_proxy.cidr_blocks) > 0 && alltrue([for cidr in var.rds_https_proxy.cidr_blocks : can(cidrhost(cidr, 0))]), false)
    error_message = "rds_https_proxy.cidr_blocks must list at least one CIDR block."
  }
}

################################################################################
# Discovery: which instances take part
################################################################################

variable "db_engines" {
  description = "RDS engines whose instances take part in the rotation (`DB_ENGINES`): `mysql`, `mariadb`, and `aurora-mysql` for Aurora MySQL clusters."
  type        = list(string)
  default     = ["mysql", "mariadb"]
  nullable    = false

  validation {
    condition     = length(var.db_engines) > 0 && length(setsubtract(var.db_engines, ["mysql", "mariadb", "aurora-mysql"])) == 0
    error_message = "db_engines must list one or more of mysql, mariadb and aurora-mysql."
  }
}

variable "db_tag" {
  description = "Only instances carrying this tag take part (`DB_TAG_KEY`/`DB_TAG_VALUE`); a null value matches any value of the key."
  type = object({
    key   = string
    value = optional(string)
  })
  default = null

  validation {
    condition     = var.db_tag == null || try(length(var.db_tag.key) > 0, false)
    error_message = "db_tag.key must not be empty."
  }
}

variable "db_identifier_prefix" {
  description = "Only instances whose identifier starts with this prefix take part (`DB_IDENTIFIER_PREFIX`)."
  type        = string
  default     = null

  validation {
    condition     = var.db_identifier_prefix == null || try(length(var.db_identifier_prefix) > 0, false)
    error_message = "db_identifier_prefix must not be empty; leave it null for no prefix."
  }
}

variable "db_endpoints" {
  description = "Static `host:port` list that replaces RDS discovery, for MySQL outside RDS (`DB_ENDPOINTS`)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for endpoint in var.db_endpoints : can(regex("^[A-Za-z0-9.-]+:[0-9]{1,5}$", endpoint))])
    error_message = "db_endpoints must hold host:port entries such as db1.internal:3306."
  }
}

variable "db_skip_unavailable" {
  description = "Skip instances that are not available (stopped, modifying, ...) instead of failing the rotation (`DB_SKIP_UNAVAILABLE`)."
  type        = bool
  default     = false
  nullable    = false
}

variable "db_discover_all" {
  description = "Let every instance of the engines in the account and region take part (`DB_DISCOVER_ALL`). Needed when none of `db_tag`, `db_identifier_prefix` and `db_endpoints` is set, and refused when one is: with it, anyone who can create an instance can make every rotation fail."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = var.db_discover_all || var.db_tag != null || var.db_identifier_prefix != null || length(var.db_endpoints) > 0
    error_message = "Scope the discovery: set db_tag, db_identifier_prefix or db_endpoints. Without one, every instance of the account and region would take part, and anyone who can create an instance could make every rotation fail; if that is what you want, set db_discover_all = true."
  }

  validation {
    condition     = !var.db_discover_all || (var.db_tag == null && var.db_identifier_prefix == null && length(var.db_endpoints) == 0)
    error_message = "db_discover_all = true contradicts db_tag, db_identifier_prefix or db_endpoints: drop it to keep the scope, or drop them to rotate on every instance."
  }
}

################################################################################
# Database connections
################################################################################

variable "db_tls_ca_file" {
  description = "Path of a PEM CA bundle inside the function bundle or a layer (`DB_TLS_CA_FILE`); by default the Amazon RDS CA bundle is trusted."
  type        = string
  default     = null

  validation {
    condition     = var.db_tls_ca_file == null || try(startswith(var.db_tls_ca_file, "/"), false)
    error_message = "db_tls_ca_file must be an absolute path such as /opt/ca/bundle.pem."
  }
}

variable "parallel" {
  description = "Instances worked on at the same time (`PARALLEL`)."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = max(1, min(100, floor(var.parallel))) == var.parallel
    error_message = "parallel must be a whole number from 1 to 100."
  }
}

variable "retries" {
  description = "Retries per instance on transient errors such as timeouts and refused connections (`RETRIES`)."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = max(0, min(10, floor(var.retries))) == var.retries
    error_message = "retries must be a whole number from 0 to 10."
  }
}

variable "retry_wait_ms" {
  description = "Wait before a retry in milliseconds, with jitter (`RETRY_WAIT_MS`)."
  type        = number
  default     = 2000
  nullable    = false

  validation {
    condition     = max(0, min(60000, floor(var.retry_wait_ms))) == var.retry_wait_ms
    error_message = "retry_wait_ms must be a whole number of milliseconds from 0 to 60000."
  }
}

variable "connect_timeout_ms" {
  description = "Database connect timeout in milliseconds (`CONNECT_TIMEOUT_MS`)."
  type        = number
  default     = 5000
  nullable    = false

  validation {
    condition     = max(100, min(60000, floor(var.connect_timeout_ms))) == var.connect_timeout_ms
    error_message = "connect_timeout_ms must be a whole number of milliseconds from 100 to 60000."
  }
}

variable "query_timeout_ms" {
  description = "Database query timeout in milliseconds (`QUERY_TIMEOUT_MS`)."
  type        = number
  default     = 10000
  nullable    = false

  validation {
    condition     = max(100, min(300000, floor(var.query_timeout_ms))) == var.query_timeout_ms
    error_message = "query_timeout_ms must be a whole number of milliseconds from 100 to 300000."
  }
}

variable "replication_wait_ms" {
  description = "How long the function waits, after the sources changed, for every read replica and Aurora reader to accept the new password, in milliseconds (`REPLICATION_WAIT_MS`)."
  type        = number
  default     = 10000
  nullable    = false

  validation {
    condition     = max(0, min(600000, floor(var.replication_wait_ms))) == var.replication_wait_ms
    error_message = "replication_wait_ms must be a whole number of milliseconds from 0 to 600000."
  }
}

variable "secret_replication_wait_ms" {
  description = "How long `finishSecret` waits for every replica region of a secret to report `InSync`, in milliseconds (`SECRET_REPLICATION_WAIT_MS`)."
  type        = number
  default     = 30000
  nullable    = false

  validation {
    condition     = max(0, min(600000, floor(var.secret_replication_wait_ms))) == var.secret_replication_wait_ms
    error_message = "secret_replication_wait_ms must be a whole number of milliseconds from 0 to 600000."
  }
}

################################################################################
# Users: one secret each, all rotated by the one function
################################################################################

variable "users" {
  description = "The MySQL users the function rotates, by entry name (`user` in `SECRETS`: 1 to 64 letters, digits, `_`, `.`, `-`). Each has its own secret holding `{\"username\", \"password\"}`. `username` is the MySQL user, the same on every instance (at most 32 characters when `db_engines` includes `mysql` or `aurora-mysql`, 80 with `mariadb` alone, `alternating_user_suffix` included under `alternating-users`). `rotation_strategy`, `rotation_rules`, `password_length` and `password_exclude_chars` replace the module's for this user. `application_role_arns` are the application's roles that read this secret (nobody else does but the function and the admins); attach output `application_policies[<user>]` to them. `replica_regions` replicate the secret to other regions, each with an optional KMS key there."
  type = map(object({
    username           = string
    secret_name        = string
    secret_description = optional(string)
    rotation_rules = optional(object({
      automatically_after_days = optional(number)
      duration                 = optional(string)
      schedule_expression      = optional(string)
    }))
    rotation_strategy      = optional(string)
    password_length        = optional(number)
    password_exclude_chars = optional(string)
    application_role_arns  = optional(list(string), [])
    replica_regions = optional(list(object({
      region      = string
      kms_key_arn = optional(string)
    })), [])
  }))
  nullable = false

  validation {
    condition     = length(var.users) >= 1 && length(var.users) <= 20
    error_message = "users must have 1 to 20 entries (the function serves at most 20 secrets); split a larger set across module calls."
  }

  validation {
    condition     = alltrue([for key in keys(var.users) : can(regex("^[A-Za-z0-9_.-]{1,64}$", key))])
    error_message = "The keys of users name the entries and must be 1 to 64 letters, digits, _, . or -: ${join(", ", [for key in keys(var.users) : jsonencode(key) if !can(regex("^[A-Za-z0-9_.-]{1,64}$", key))])}."
  }

  validation {
    condition     = alltrue([for user in values(var.users) : can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", user.secret_name))])
    error_message = "users.*.secret_name must be 1 to 512 letters, digits or /_+=.@- characters: ${join(", ", [for key, user in var.users : "users.${key}" if !can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", user.secret_name))])}."
  }

  validation {
    condition     = length(distinct([for user in values(var.users) : user.secret_name])) == length(var.users)
    error_message = "Every user needs its own secret: users.*.secret_name must all differ."
  }

  validation {
    condition     = alltrue([for user in values(var.users) : length(user.username) >= 1 && length("${user.username}${coalesce(user.rotation_strategy, var.rotation_strategy) == "alternating-users" ? var.alternating_user_suffix : ""}") <= (length(setintersection(var.db_engines, ["mysql", "aurora-mysql"])) > 0 ? 32 : 80)])
    error_message = "User names must fit the engine's limit, ${length(setintersection(var.db_engines, ["mysql", "aurora-mysql"])) > 0 ? "32 characters for mysql and aurora-mysql" : "80 characters for mariadb"}, with the suffix ${jsonencode(var.alternating_user_suffix)} under alternating-users: ${join("; ", [for key, user in var.users : "users.${key}.username ${jsonencode(user.username)} ${coalesce(user.rotation_strategy, var.rotation_strategy) == "alternating-users" ? "plus ${jsonencode(var.alternating_user_suffix)} " : ""}makes ${length("${user.username}${coalesce(user.rotation_strategy, var.rotation_strategy) == "alternating-users" ? var.alternating_user_suffix : ""}")}" if length(user.username) < 1 || length("${user.username}${coalesce(user.rotation_strategy, var.rotation_strategy) == "alternating-users" ? var.alternating_user_suffix : ""}") > (length(setintersection(var.db_engines, ["mysql", "aurora-mysql"])) > 0 ? 32 : 80)])}. Shorten the name or alternating_user_suffix."
  }

  validation {
    condition     = length(distinct(flatten([for user in values(var.users) : coalesce(user.rotation_strategy, var.rotation_strategy) == "alternating-users" ? [user.username, "${user.username}${var.alternating_user_suffix}"] : [user.username]]))) == length(flatten([for user in values(var.users) : coalesce(user.rotation_strategy, var.rotation_strategy) == "alternating-users" ? [1, 2] : [1]]))
    error_message = "users.*.username must all differ, their alternating-users clones included: two secrets for one MySQL user would undo each other's rotations."
  }

  validation {
    condition     = alltrue([for user in values(var.users) : user.rotation_strategy == null || contains(["single-user", "alternating-users"], coalesce(user.rotation_strategy, "-"))])
    error_message = "users.*.rotation_strategy must be single-user or alternating-users."
  }

  validation {
    condition     = alltrue([for user in values(var.users) : try(user.rotation_rules.automatically_after_days, null) == null || try(user.rotation_rules.schedule_expression, null) == null])
    error_message = "Give users.*.rotation_rules.automatically_after_days or schedule_expression, not both: ${join(", ", [for key, user in var.users : "users.${key}" if try(user.rotation_rules.automatically_after_days, null) != null && try(user.rotation_rules.schedule_expression, null) != null])}."
  }

  validation {
    condition     = alltrue([for user in values(var.users) : try(max(1, min(1000, floor(user.rotation_rules.automatically_after_days))) == user.rotation_rules.automatically_after_days, try(user.rotation_rules.automatically_after_days, null) == null)])
    error_message = "users.*.rotation_rules.automatically_after_days must be a whole number from 1 to 1000."
  }

  validation {
    condition     = alltrue([for user in values(var.users) : try(user.rotation_rules.schedule_expression, null) == null || can(regex("^(rate|cron)\\(.+\\)$", user.rotation_rules.schedule_expression))])
    error_message = "users.*.rotation_rules.schedule_expression must look like rate(30 days) or cron(0 4 ? * TUE *)."
  }

  validation {
    condition     = alltrue([for user in values(var.users) : try(user.rotation_rules.duration, null) == null || can(regex("^([1-9]|1[0-9]|2[0-4])h$", user.rotation_rules.duration))])
    error_message = "users.*.rotation_rules.duration must be 1h to 24h, such as 3h."
  }

  validation {
    condition     = alltrue([for user in values(var.users) : user.password_length == null || try(max(16, min(128, floor(user.password_length))) == user.password_length, false)])
    error_message = "users.*.password_length must be a whole number from 16 to 128."
  }

  validation {
    condition     = alltrue([for user in values(var.users) : user.password_exclude_chars == null || try(length(user.password_exclude_chars) > 0, false)])
    error_message = "users.*.password_exclude_chars must not be empty; leave it null to use the module's."
  }

  validation {
    condition     = alltrue(flatten([for user in values(var.users) : [for arn in user.application_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/*?-]*[A-Za-z0-9+=,.@_-][A-Za-z0-9+=,.@_/*?-]*$", arn)) && !can(regex(":(role|user)/[/*?]*$", arn))]]))
    error_message = "users.*.application_role_arns must hold IAM role or user ARNs such as arn:aws:iam::111122223333:role/shop-app (a wildcard may complete a name, but not stand for every role)."
  }

  validation {
    condition     = alltrue([for user in values(var.users) : alltrue([for replica in user.replica_regions : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", replica.region))]) && length(distinct([for replica in user.replica_regions : replica.region])) == length(user.replica_regions)])
    error_message = "users.*.replica_regions must name distinct regions such as eu-central-1."
  }

  validation {
    condition     = alltrue(flatten([for user in values(var.users) : [for replica in user.replica_regions : replica.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:${replica.region}:[0-9]{12}:key/.+$", replica.kms_key_arn))]]))
    error_message = "users.*.replica_regions[*].kms_key_arn must be a KMS key ARN in that replica's region."
  }
}

variable "default_provision_passwords" {
  description = "Default provision password (DPP) of each user, by the keys of `users`: the password the DBA backend creates the user with on new instances. A secret's first version holds it; the module also stores them in the provision secret, which only the function reads (`PROVISION_SECRET_ARN`), never in the function's environment."
  type        = map(string)
  sensitive   = true
  nullable    = false

  validation {
    condition     = sort(keys(var.default_provision_passwords)) == sort(keys(var.users))
    error_message = "default_provision_passwords must have one entry per user, with the keys of users: ${join(", ", sort(keys(var.users)))}."
  }

  validation {
    condition     = alltrue([for password in values(var.default_provision_passwords) : length(password) >= 8])
    error_message = "Every default provision password must be at least 8 characters."
  }
}

################################################################################
# Secrets
################################################################################

variable "recovery_window_in_days" {
  description = "Days a deleted secret can be restored; 0 deletes it at once."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.recovery_window_in_days == 0 || max(7, min(30, floor(var.recovery_window_in_days))) == var.recovery_window_in_days
    error_message = "recovery_window_in_days must be 0 or a whole number from 7 to 30."
  }
}

variable "provision_secret_name" {
  description = "Name of the secret the module creates to hold the default provision password (read by the function alone, `PROVISION_SECRET_ARN`). Null: `<name>/default-provision-passwords`."
  type        = string
  default     = null

  validation {
    condition     = var.provision_secret_name == null || can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", var.provision_secret_name))
    error_message = "provision_secret_name must be 1 to 512 letters, digits or /_+=.@- characters."
  }
}

################################################################################
# Access to the secrets
################################################################################

variable "secret_admin_role_arns" {
  description = "IAM roles (or users) that administer the secrets: besides the function and the application roles, only they may read the password, and only they may change the secrets' resource policy, replication, rotation or description, or delete them. List the role Terraform runs as: it reads the first version on every refresh and manages the policy. `*` may stand for characters of a name (such as an IAM Identity Center role's suffix)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.secret_admin_role_arns) > 0
    error_message = "secret_admin_role_arns must list at least one role: without one, nobody could change the secrets' policy again (the role Terraform runs as belongs here)."
  }

  validation {
    condition     = alltrue([for arn in var.secret_admin_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|(role|user)/[A-Za-z0-9+=,.@_/*?-]*[A-Za-z0-9+=,.@_-][A-Za-z0-9+=,.@_/*?-]*)$", arn)) && !can(regex(":(role|user)/[/*?]*$", arn))])
    error_message = "secret_admin_role_arns must hold IAM role or user ARNs such as arn:aws:iam::111122223333:role/app-admin (a wildcard may complete a name, but not stand for every role)."
  }
}

################################################################################
# Encryption
################################################################################

variable "kms_key_arn" {
  description = "Customer managed KMS key for the secrets the module creates. The function may use it only through Secrets Manager and for these secrets (`kms:ViaService`, `kms:EncryptionContext:SecretARN`); the key policy must let the account's IAM policies grant it. Null: the AWS managed key `aws/secretsmanager`."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN such as arn:aws:kms:eu-west-1:111122223333:key/...."
  }
}

variable "lambda_kms_key_arn" {
  description = "Customer managed KMS key for the function's environment variables, so that reading the function's configuration needs that key too. The key policy must let Lambda and the account's IAM policies use it. Null: Lambda's AWS managed key."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.lambda_kms_key_arn))
    error_message = "lambda_kms_key_arn must be a KMS key ARN such as arn:aws:kms:eu-west-1:111122223333:key/...."
  }
}

################################################################################
# Strategy and administrator credentials
################################################################################

variable "rotation_strategy" {
  description = "How passwords change, for the users that give no `rotation_strategy` (`ROTATION_STRATEGY`): `single-user` (each user changes its own password; logins with the old one are refused from setSecret to finishSecret) or `alternating-users` (an administrator sets the password of the user's clone, `<username><alternating_user_suffix>`, with the user's grants, and the secret alternates between the two: the previous credentials keep working until the next rotation). `alternating-users` needs `admin_secret_arn` or `use_rds_managed_master_secrets`."
  type        = string
  default     = "single-user"
  nullable    = false

  validation {
    condition     = contains(["single-user", "alternating-users"], var.rotation_strategy)
    error_message = "rotation_strategy must be single-user or alternating-users."
  }
}

variable "alternating_user_suffix" {
  description = "Suffix of the second user of `alternating-users` (`ALTERNATING_USER_SUFFIX`): `app` alternates with `app_clone`."
  type        = string
  default     = "_clone"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_$]{1,16}$", var.alternating_user_suffix))
    error_message = "alternating_user_suffix must be 1 to 16 letters, digits, _ or $."
  }
}

variable "admin_secret_arn" {
  description = "ARN of a secret `{\"username\", \"password\"}` of an administrator present on every instance (`ADMIN_SECRET_ID`), who may create users and grant. Used by `alternating-users`, and by the `reset` and `heal` actions under either strategy. The role may read this secret and no other administrator's."
  type        = string
  default     = null

  validation {
    condition     = var.admin_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+-[A-Za-z0-9]{6}$", var.admin_secret_arn))
    error_message = "admin_secret_arn must be the full ARN of a secret, ending in its six random characters, such as arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/mysql/admin-AbCdEf."
  }

  validation {
    condition     = var.admin_secret_arn == null || !var.use_rds_managed_master_secrets
    error_message = "Give admin_secret_arn or use_rds_managed_master_secrets, not both: the function would use the administrator secret everywhere."
  }

  validation {
    condition     = var.admin_secret_arn != null || var.use_rds_managed_master_secrets || alltrue([for user in values(var.users) : coalesce(user.rotation_strategy, var.rotation_strategy) == "single-user"])
    error_message = "alternating-users needs administrator credentials, for ${join(", ", [for key, user in var.users : "users.${key}" if coalesce(user.rotation_strategy, var.rotation_strategy) == "alternating-users"])}: set admin_secret_arn (one administrator secret for every instance) or use_rds_managed_master_secrets = true (each instance's RDS-managed master secret)."
  }
}

variable "admin_secret_kms_key_arn" {
  description = "Customer managed KMS key of `admin_secret_arn`, if it has one; the role may decrypt with it through Secrets Manager, for that secret only."
  type        = string
  default     = null

  validation {
    condition     = var.admin_secret_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.admin_secret_kms_key_arn))
    error_message = "admin_secret_kms_key_arn must be a KMS key ARN such as arn:aws:kms:eu-west-1:111122223333:key/...."
  }

  validation {
    condition     = var.admin_secret_kms_key_arn == null || var.admin_secret_arn != null
    error_message = "admin_secret_kms_key_arn is the key of admin_secret_arn: give admin_secret_arn too."
  }
}

variable "use_rds_managed_master_secrets" {
  description = "Use each instance's (or Aurora cluster's) RDS-managed master secret (`manage_master_user_password`) as the administrator, found by the function in `DescribeDBInstances`. List those secrets in `rds_master_secrets` so that the role reads exactly them."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !var.use_rds_managed_master_secrets || length(var.db_endpoints) == 0
    error_message = "use_rds_managed_master_secrets needs RDS: servers in db_endpoints have no RDS-managed master secret. Give admin_secret_arn instead."
  }
}

variable "rds_master_secrets" {
  description = "With `use_rds_managed_master_secrets`: each instance's master secret ARN and its KMS key ARN (`master_user_secret[0].secret_arn` and `.kms_key_id` of `aws_db_instance` or `aws_rds_cluster`). The role may read these secrets, and decrypt with these keys through Secrets Manager for them, and nothing else."
  type = list(object({
    secret_arn  = string
    kms_key_arn = optional(string)
  }))
  default  = []
  nullable = false

  validation {
    condition     = var.use_rds_managed_master_secrets == (length(var.rds_master_secrets) > 0)
    error_message = "rds_master_secrets goes with use_rds_managed_master_secrets = true, and that needs rds_master_secrets: list the instances' master secrets so that the role may read exactly them."
  }

  validation {
    condition     = alltrue([for secret in var.rds_master_secrets : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+-[A-Za-z0-9]{6}$", secret.secret_arn)) && (secret.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", secret.kms_key_arn)))])
    error_message = "rds_master_secrets must hold full secret ARNs (ending in their six random characters) and KMS key ARNs."
  }
}

################################################################################
# Passwords
################################################################################

variable "password_length" {
  description = "Length of generated passwords (`PASSWORD_LENGTH`), for the users that give no `password_length`."
  type        = number
  default     = 32
  nullable    = false

  validation {
    condition     = max(16, min(128, floor(var.password_length))) == var.password_length
    error_message = "password_length must be a whole number from 16 to 128."
  }
}

variable "password_exclude_chars" {
  description = "Characters generated passwords never contain, besides those that always are (`PASSWORD_EXCLUDE_CHARS`), for the users that give no `password_exclude_chars`."
  type        = string
  default     = null

  validation {
    condition     = var.password_exclude_chars == null || try(length(var.password_exclude_chars) > 0, false)
    error_message = "password_exclude_chars must not be empty; leave it null to exclude nothing more."
  }
}

################################################################################
# Rotation
################################################################################

variable "rotation_rules" {
  description = "When Secrets Manager rotates, for the users that give no `rotation_rules` of their own: every `automatically_after_days` (1 to 1000) or on a `schedule_expression` (`rate(...)` or `cron(...)`, such as `cron(0 4 ? * TUE *)`), not both, starting within an optional `duration` window (`1h` to `24h`). Neither: every 30 days."
  type = object({
    automatically_after_days = optional(number)
    duration                 = optional(string)
    schedule_expression      = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.rotation_rules.automatically_after_days == null || var.rotation_rules.schedule_expression == null
    error_message = "Give rotation_rules.automatically_after_days or rotation_rules.schedule_expression, not both."
  }

  validation {
    condition     = try(max(1, min(1000, floor(var.rotation_rules.automatically_after_days))) == var.rotation_rules.automatically_after_days, var.rotation_rules.automatically_after_days == null)
    error_message = "rotation_rules.automatically_after_days must be a whole number from 1 to 1000."
  }

  validation {
    condition     = var.rotation_rules.schedule_expression == null || can(regex("^(rate|cron)\\(.+\\)$", var.rotation_rules.schedule_expression))
    error_message = "rotation_rules.schedule_expression must look like rate(30 days) or cron(0 4 ? * TUE *)."
  }

  validation {
    condition     = var.rotation_rules.duration == null || can(regex("^([1-9]|1[0-9]|2[0-4])h$", var.rotation_rules.duration))
    error_message = "rotation_rules.duration must be 1h to 24h, such as 3h."
  }
}

variable "rotation_wait_duration" {
  description = "Time to wait after the rotation is configured so that the initial rotation finishes before `rotation_ready` is known, as a duration such as `20s` or `1m`."
  type        = string
  default     = "20s"
  nullable    = false

  validation {
    condition     = can(regex("^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$", var.rotation_wait_duration))
    error_message = "rotation_wait_duration must be a duration such as 20s, 1m or 1m30s."
  }
}

variable "stale_pending_minutes" {
  description = "An `AWSPENDING` older than this many minutes belongs to no running rotation: `status` reports it and `heal` removes it (`STALE_PENDING_MINUTES`)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = max(0, min(10080, floor(var.stale_pending_minutes))) == var.stale_pending_minutes
    error_message = "stale_pending_minutes must be a whole number from 0 to 10080 (a week)."
  }
}

################################################################################
# Invocation
################################################################################

variable "manual_invoke_principals" {
  description = "Principals (account IDs or IAM role/user ARNs, such as the DBA backend role) allowed to invoke the function's `manual` alias (output `manual_invoke_arn`) for manual actions, and nothing else. Each still needs `lambda:InvokeFunction` on that ARN in its own identity policy."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for principal in var.manual_invoke_principals : can(regex("^([0-9]{12}|arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+))$", principal))])
    error_message = "manual_invoke_principals must hold 12-digit account IDs or IAM role/user ARNs."
  }
}

################################################################################
# Logging, alerting and notifications
################################################################################

variable "log_level" {
  description = "Log level of the function (`LOG_LEVEL` and Lambda's application log level); DEBUG is debug mode."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARN, ERROR."
  }
}

variable "log_retention_in_days" {
  description = "Days CloudWatch keeps the function's logs."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic told when the function fails or a rotation fails or is abandoned (Secrets Manager itself tells nobody), with a readable message. Its policy must let `cloudwatch.amazonaws.com` and `events.amazonaws.com` publish. Null: no alerting."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN."
  }
}

variable "rotation_succeeded_sns_topic_arn" {
  description = "SNS topic told, with a readable message, each time a secret of the module is rotated (the `RotationSucceeded` event). May be the alarm's topic. Its policy must let `events.amazonaws.com` publish. Null: no such notification."
  type        = string
  default     = null

  validation {
    condition     = var.rotation_succeeded_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.rotation_succeeded_sns_topic_arn))
    error_message = "rotation_succeeded_sns_topic_arn must be an SNS topic ARN."
  }
}

variable "rotation_notice" {
  description = "A notice `lead_minutes` (default 1440, a day; 0 to 43200) before each scheduled rotation, to the SNS topic `sns_topic_arn` (may be another notification's). Every `period_minutes` (default 60; 5 to 1440) a schedule invokes the function's `notice` action, which announces the secrets whose next rotation date falls within the coming period after the lead (`NOTICE_*`). The function may publish to the topic, and use `sns_kms_key_arn` through SNS for an encrypted topic. Null: no notices."
  type = object({
    sns_topic_arn   = string
    lead_minutes    = optional(number, 1440)
    period_minutes  = optional(number, 60)
    sns_kms_key_arn = optional(string)
  })
  default = null

  validation {
    condition     = var.rotation_notice == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.rotation_notice.sns_topic_arn))
    error_message = "rotation_notice.sns_topic_arn must be an SNS topic ARN."
  }

  validation {
    condition     = var.rotation_notice == null || try(max(0, min(43200, floor(var.rotation_notice.lead_minutes))) == var.rotation_notice.lead_minutes, false)
    error_message = "rotation_notice.lead_minutes must be a whole number of minutes from 0 to 43200 (30 days)."
  }

  validation {
    condition     = var.rotation_notice == null || try(max(5, min(1440, floor(var.rotation_notice.period_minutes))) == var.rotation_notice.period_minutes, false)
    error_message = "rotation_notice.period_minutes must be a whole number of minutes from 5 to 1440 (a day)."
  }

  validation {
    condition     = var.rotation_notice == null || try(var.rotation_notice.sns_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.rotation_notice.sns_kms_key_arn)), false)
    error_message = "rotation_notice.sns_kms_key_arn must be a KMS key ARN (the topic's key)."
  }
}
