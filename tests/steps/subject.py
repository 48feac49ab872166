"""The admin's subject template (Activity Detail Customization) and what it makes of a task (R5)."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from steps.world import World


@given(parsers.re(r'the admin has set the subject template to "(?P<template>.*)"'))
def admin_sets_template(world: World, template: str) -> None:
    response = world.admin_save_template(template)
    assert response.status_code == 200, response.text


@given("the admin has set the subject template to:")
def admin_sets_multiline_template(world: World, docstring: str) -> None:
    response = world.admin_save_template(docstring)
    assert response.status_code == 200, response.text


@given("the admin has never set a subject template")
def no_template(world: World) -> None:
    assert world.subject_template() == "{{activity_subject}}"


@when(
    parsers.re(r'the admin tries to save the subject template "(?P<template>.*)"'),
    target_fixture="admin_answer",
)
def admin_tries_template(world: World, template: str):
    return world.admin_save_template(template)


@then(parsers.re(r'the admin is told that "(?P<field>[^"]+)" is not a field the template can use'))
def template_rejected(admin_answer, field: str) -> None:
    assert admin_answer.status_code == 422, admin_answer.text
    error = admin_answer.json()["error"]
    assert field in error["message"], error


@then(parsers.re(r'the subject template is still "(?P<template>.*)"'))
def template_unchanged(world: World, template: str) -> None:
    assert world.subject_template() == template
