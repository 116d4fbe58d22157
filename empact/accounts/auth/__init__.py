"""Authentication: the password step, the second factor, sessions and lock-outs.

Flow: the password page (Django's LoginView, throttled by django-axes) signs the
person in unverified; `SecondFactorMiddleware` then sends every request to the
second-factor page (or to enrolment when the person has no authenticator yet) until
the session is verified (`django_otp.login`). Outside demo mode nobody reaches a
page with plan or operational data on a password alone.
"""
