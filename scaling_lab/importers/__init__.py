"""Importers: system files from what infrastructure code already states (Terraform)."""

from scaling_lab.importers.terraform import TerraformImport
from scaling_lab.importers.tf_mapping import import_terraform

__all__ = ["TerraformImport", "import_terraform"]
