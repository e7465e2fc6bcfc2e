enum qflow_status
 {
  QFLOW_STATUS_OK = 0,
  QFLOW_STATUS_INVALID_ARGUMENT = 1,
  QFLOW_STATUS_NETWORK = 2,
  QFLOW_STATUS_TIMEOUT = 3,
  QFLOW_STATUS_TLS = 4,
  QFLOW_STATUS_HTTP = 5,
  QFLOW_STATUS_OAUTH = 6,
  QFLOW_STATUS_MALFORMED_RESPONSE = 7,
  QFLOW_STATUS_INTERNAL = 8,
  QFLOW_STATUS_INVALID_STATE = 9,
  QFLOW_STATUS_IO = 10,
  QFLOW_STATUS_CANCELLED = 11,
};
typedef uint32_t qflow_status;
enum qflow_auth_method
 {
  QFLOW_AUTH_METHOD_CLIENT_SECRET_POST = 0,
  QFLOW_AUTH_METHOD_CLIENT_SECRET_BASIC = 1,
  QFLOW_AUTH_METHOD_CLIENT_SECRET_BASIC_UNENCODED = 2,
};
typedef uint32_t qflow_auth_method;
typedef struct qflow_cancel_token qflow_cancel_token;
typedef struct qflow_claims qflow_claims;
typedef struct qflow_client qflow_client;
typedef struct qflow_client_options qflow_client_options;
typedef struct qflow_token qflow_token;
typedef struct qflow_token_source qflow_token_source;
typedef struct qflow_token_source_options qflow_token_source_options;
struct qflow_cancel_token *qflow_cancel_token_new(void);
qflow_status qflow_cancel_token_attach(const struct qflow_cancel_token *token);
void qflow_cancel_token_detach(void);
void qflow_cancel_token_cancel(const struct qflow_cancel_token *token);
bool qflow_cancel_token_is_cancelled(const struct qflow_cancel_token *token);
void qflow_cancel_token_free(struct qflow_cancel_token *token);
bool qflow_claims_is_active(const struct qflow_claims *claims);
const char *qflow_claims_get(const struct qflow_claims *claims,
                             const char *name);
const char *qflow_claims_raw_json(const struct qflow_claims *claims);
void qflow_claims_free(struct qflow_claims *claims);
qflow_status qflow_client_new(const char *token_url,
                              const char *client_id,
                              const char *client_secret,
                              const struct qflow_client_options *options,
                              struct qflow_client **client_out);
qflow_status qflow_client_new_from_authority(const char *authority,
                                             const char *client_id,
                                             const char *client_secret,
                                             const struct qflow_client_options *options,
                                             struct qflow_client **client_out);
const char *qflow_client_token_url(const struct qflow_client *client);
const char *qflow_client_revocation_url(const struct qflow_client *client);
const char *qflow_client_introspection_url(const struct qflow_client *client);
const char *qflow_client_userinfo_url(const struct qflow_client *client);
const char *qflow_client_issuer(const struct qflow_client *client);
const char *qflow_client_discovery_warning(const struct qflow_client *client);
void qflow_client_free(struct qflow_client *client);
qflow_status qflow_client_request_password(const struct qflow_client *client,
                                           const char *username,
                                           const char *password,
                                           const char *scope,
                                           struct qflow_token **token_out);
qflow_status qflow_client_request_client_credentials(const struct qflow_client *client,
                                                     const char *scope,
                                                     struct qflow_token **token_out);
qflow_status qflow_client_request_refresh(const struct qflow_client *client,
                                          const char *refresh_token,
                                          const char *scope,
                                          struct qflow_token **token_out);
qflow_status qflow_client_request_grant(const struct qflow_client *client,
                                        const char *grant_type,
                                        const char *const *param_names,
                                        const char *const *param_values,
                                        size_t param_count,
                                        struct qflow_token **token_out);
qflow_status qflow_client_revoke(const struct qflow_client *client,
                                 const char *token,
                                 const char *token_type_hint);
qflow_status qflow_client_introspect(const struct qflow_client *client,
                                     const char *token,
                                     const char *token_type_hint,
                                     struct qflow_claims **claims_out);
qflow_status qflow_client_userinfo(const struct qflow_client *client,
                                   const char *access_token,
                                   struct qflow_claims **claims_out);
qflow_status qflow_last_error_status(void);
uint16_t qflow_last_error_http_status(void);
const char *qflow_last_error_message(void);
const char *qflow_last_error_oauth_error(void);
const char *qflow_last_error_description(void);
const char *qflow_last_error_uri(void);
uint64_t qflow_last_error_retry_after(void);
const char *qflow_status_str(uint32_t status);
struct qflow_client_options *qflow_client_options_new(void);
void qflow_client_options_free(struct qflow_client_options *options);
qflow_status qflow_client_options_set_auth_method(struct qflow_client_options *options,
                                                  uint32_t method);
qflow_status qflow_client_options_set_connect_timeout_ms(struct qflow_client_options *options,
                                                         uint64_t timeout_ms);
qflow_status qflow_client_options_set_timeout_ms(struct qflow_client_options *options,
                                                 uint64_t timeout_ms);
qflow_status qflow_client_options_set_ca_file(struct qflow_client_options *options,
                                              const char *path);
qflow_status qflow_client_options_set_proxy(struct qflow_client_options *options,
                                            const char *proxy_url);
qflow_status qflow_client_options_set_allow_insecure_http(struct qflow_client_options *options,
                                                          bool allow);
qflow_status qflow_client_options_set_user_agent(struct qflow_client_options *options,
                                                 const char *user_agent);
qflow_status qflow_client_options_set_max_response_bytes(struct qflow_client_options *options,
                                                         uint64_t max_bytes);
qflow_status qflow_client_options_set_revocation_url(struct qflow_client_options *options,
                                                     const char *url);
qflow_status qflow_client_options_set_introspection_url(struct qflow_client_options *options,
                                                        const char *url);
qflow_status qflow_client_options_set_userinfo_url(struct qflow_client_options *options,
                                                   const char *url);
char *qflow_fetch_token(const char *token_url,
                        const char *client_id,
                        const char *client_secret,
                        const char *username,
                        const char *password,
                        const char *scope);
char *qflow_fetch_token_json(const char *token_url,
                             const char *client_id,
                             const char *client_secret,
                             const char *username,
                             const char *password,
                             const char *scope);
struct qflow_token_source_options *qflow_token_source_options_new(void);
void qflow_token_source_options_free(struct qflow_token_source_options *options);
qflow_status qflow_token_source_options_set_skew_seconds(struct qflow_token_source_options *options,
                                                         uint64_t skew_seconds);
qflow_status qflow_token_source_options_set_keep_password(struct qflow_token_source_options *options,
                                                          bool keep);
qflow_status qflow_token_source_options_set_file_cache_dir(struct qflow_token_source_options *options,
                                                           const char *dir);
qflow_status qflow_token_source_new_password(const struct qflow_client *client,
                                             const char *username,
                                             const char *password,
                                             const char *scope,
                                             const struct qflow_token_source_options *options,
                                             struct qflow_token_source **source_out);
qflow_status qflow_token_source_new_client_credentials(const struct qflow_client *client,
                                                       const char *scope,
                                                       const struct qflow_token_source_options *options,
                                                       struct qflow_token_source **source_out);
qflow_status qflow_token_source_new_refresh_token(const struct qflow_client *client,
                                                  const char *refresh_token,
                                                  const char *scope,
                                                  const struct qflow_token_source_options *options,
                                                  struct qflow_token_source **source_out);
qflow_status qflow_token_source_token(const struct qflow_token_source *source,
                                      struct qflow_token **token_out);
qflow_status qflow_token_source_cached_token(const struct qflow_token_source *source,
                                             struct qflow_token **token_out);
qflow_status qflow_token_source_invalidate(const struct qflow_token_source *source);
void qflow_token_source_free(struct qflow_token_source *source);
void qflow_string_free(char *s);
const char *qflow_token_access_token(const struct qflow_token *token);
const char *qflow_token_token_type(const struct qflow_token *token);
int64_t qflow_token_expires_in(const struct qflow_token *token);
int64_t qflow_token_expires_at(const struct qflow_token *token);
bool qflow_token_is_expired(const struct qflow_token *token,
                            uint64_t leeway_seconds);
const char *qflow_token_refresh_token(const struct qflow_token *token);
const char *qflow_token_scope(const struct qflow_token *token);
const char *qflow_token_id_token(const struct qflow_token *token);
const char *qflow_token_get(const struct qflow_token *token,
                            const char *name);
const char *qflow_token_raw_json(const struct qflow_token *token);
void qflow_token_free(struct qflow_token *token);
const char *qflow_version(void);
