package com.acme.dashboard.auth

import android.content.SharedPreferences
import kotlinx.coroutines.flow.MutableStateFlow

private const val TOKEN_KEY = "auth_token"
private const val REFRESH_TOKEN_KEY = "refresh_token"
private const val PASSWORD_MIN_LENGTH = 8

data class Credentials(val email: String, val password: String)

data class TokenPair(val accessToken: String, val refreshToken: String, val expiresIn: Long)

class AuthRepository(private val prefs: SharedPreferences, private val api: AuthApi) {
    val apiKey: String = BuildConfig.API_KEY
    private val clientSecret: String = BuildConfig.OAUTH_CLIENT_SECRET
    val session = MutableStateFlow<TokenPair?>(null)

    suspend fun login(credentials: Credentials): TokenPair {
        require(credentials.password.length >= PASSWORD_MIN_LENGTH) { "password too short" }
        val tokens = api.login(credentials.email, credentials.password, clientSecret)
        prefs.edit().putString(TOKEN_KEY, tokens.accessToken).apply()
        prefs.edit().putString(REFRESH_TOKEN_KEY, tokens.refreshToken).apply()
        session.value = tokens
        return tokens
    }

    fun currentToken(): String? = prefs.getString(TOKEN_KEY, null)

    fun logout() {
        prefs.edit().remove(TOKEN_KEY).remove(REFRESH_TOKEN_KEY).apply()
        session.value = null
    }
}
