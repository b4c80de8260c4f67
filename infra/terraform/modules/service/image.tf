# A service whose package is a container image (its manifest's lambda_package.package_type "Image": the
# Amazon Linux 2023 image `make package` writes a Dockerfile for, docs/terraform.md "Packages"): an ECR
# repository of its own, scanned on push, with immutable tags (a tag is one image for good) and a lifecycle
# policy keeping the last `image_retention_count` images. Every function of the service runs the image
# <repository>:<image_tag>; its roles may pull from this repository only (lambda_service's PullOwnImage).
#
# The tag is the sha256 of the service's `make package` zip (lambda_zip_path), which holds exactly the files
# of the image's build context (.local/build/package/<service>/package/): the same sources give the same tag,
# other code another tag. The image must be pushed under it before the functions are created or updated
# (docs/terraform.md, "Pushing the images").

locals {
  is_image             = local.package_type == "Image"
  image_tag            = var.image_tag != "" ? var.image_tag : local.zip_sha256
  image_uri            = local.is_image && local.image_tag != "" ? "${aws_ecr_repository.image[0].repository_url}:${local.image_tag}" : ""
  image_repository_arn = local.is_image ? aws_ecr_repository.image[0].arn : ""
  # Every function names its handler as its command. The image's default command (the Dockerfile's CMD) is the
  # worker's handler, so the worker's is that same CMD, written out: moto answers a function without an image
  # config with an empty one, which hashicorp/aws then plans to remove on every plan (2 in-place changes after
  # apply, seen in tests/infra/test_images.py); an explicit command re-plans clean and changes nothing on AWS.
  image_command = { for kind, handler in local.lambda_handler : kind => local.is_image ? [handler] : [] }
}

resource "aws_ecr_repository" "image" {
  count = local.is_image ? 1 : 0

  name                 = local.base
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_arn == null ? [] : [1]
    content {
      encryption_type = "KMS"
      kms_key         = var.kms_key_arn
    }
  }

  tags = local.tags
}

resource "aws_ecr_lifecycle_policy" "image" {
  count = local.is_image ? 1 : 0

  repository = aws_ecr_repository.image[0].name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.image_retention_count} images (a rollback pushes its image again: same sources, same tag)"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.image_retention_count
      }
      action = { type = "expire" }
    }]
  })
}
